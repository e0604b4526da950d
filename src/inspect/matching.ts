/** Whether the opened records, annotation file and images folder belong together, counted for the user. */
import type { AnnotationEntry } from "../eval/annotations";
import type { SampleRecord } from "../eval/record-format";
import type { ImageIndex } from "./images";

/** Records that do not belong to the annotation file opened: they are listed but left out of the summary. */
export interface IdMismatch {
  /** Records whose id names no sample of the annotation file. */
  unmatched: number;
  /**
   * Records whose id names a sample that asks something else: another reference box or instruction (an annotation
   * file with its records shifted, e.g. one inserted at the top, pairs ids of consecutive samples of one image).
   */
  differing: number;
  total: number;
  /** Every such record's id. */
  ids: ReadonlySet<string>;
  examples: string[];
}

/** The reference a record was scored against, as its annotation sample holds it. */
function referenceOf(record: SampleRecord): string {
  return Array.isArray(record.label) ? (record.label[0] ?? "") : record.label;
}

/** Whether a record was made from this sample: same image, reference and (when recorded) instruction. */
function madeFrom(record: SampleRecord, entry: AnnotationEntry): boolean {
  if (record.image !== entry.image || referenceOf(record) !== entry.label) return false;
  return record.instruction === undefined || record.instruction === entry.instruction;
}

/** Records that name no annotation sample, or a sample that is not the one they were made from; null when all fit. */
export function unmatchedRecords(
  records: readonly SampleRecord[],
  entries: readonly AnnotationEntry[],
): IdMismatch | null {
  const byId = new Map(entries.map((e) => [e.id, e]));
  let unmatched = 0;
  let differing = 0;
  const ids = new Set<string>();
  for (const record of records) {
    const entry = byId.get(record.id);
    if (entry && madeFrom(record, entry)) continue;
    if (entry) differing++;
    else unmatched++;
    ids.add(record.id);
  }
  if (ids.size === 0) return null;
  return { unmatched, differing, total: records.length, ids, examples: [...ids].slice(0, 3) };
}

/** Samples whose image the opened folder does not hold. */
export interface MissingImages {
  /** How many samples lack their image. */
  samples: number;
  /** The first few of those samples' ids. */
  examples: string[];
  /** The image paths missing, each once, in order. */
  images: string[];
}

/** The samples (annotation entries or records) whose image the folder lacks; null when none does. */
export function missingImages(
  samples: ReadonlyArray<{ id: string; image: string }>,
  index: ImageIndex<unknown>,
): MissingImages | null {
  const found = new Map<string, boolean>();
  const lacking = samples.filter(({ image }) => {
    if (!found.has(image)) found.set(image, index.find(image) !== null);
    return found.get(image) === false;
  });
  if (lacking.length === 0) return null;
  return {
    samples: lacking.length,
    examples: lacking.slice(0, 5).map((s) => s.id),
    images: [...found].filter(([, present]) => !present).map(([image]) => image),
  };
}
