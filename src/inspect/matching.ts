/** Whether the opened records, annotation file and images folder belong together, counted for the user. */
import type { AnnotationEntry } from "../eval/annotations";
import type { SampleRecord } from "../eval/record-format";
import type { ImageIndex } from "./images";

export interface IdMismatch {
  /** Records whose id names no sample of the annotation file. */
  unmatched: number;
  total: number;
  examples: string[];
}

/** Records that name no annotation sample; null when every record matches. */
export function unmatchedRecords(
  records: readonly SampleRecord[],
  entries: readonly AnnotationEntry[],
): IdMismatch | null {
  const ids = new Set(entries.map((e) => e.id));
  const unmatched = records.filter((r) => !ids.has(r.id));
  if (unmatched.length === 0) return null;
  return { unmatched: unmatched.length, total: records.length, examples: unmatched.slice(0, 3).map((r) => r.id) };
}

/** The image paths (each once, in order) that the folder does not hold. */
export function missingImages(paths: readonly string[], index: ImageIndex<unknown>): string[] {
  return [...new Set(paths)].filter((path) => index.find(path) === null);
}
