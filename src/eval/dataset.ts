/**
 * Node only: an annotation file read from disk (see `annotations.ts` for the format), its images resolved against the
 * images folder and checked to exist; missing ones are skipped and counted.
 */
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { AnnotationError, parseAnnotations } from "./annotations";
import type { EvalSample } from "./evaluate";
import type { EvalTask } from "./tasks";

export { AnnotationError };

export interface LoadedDataset {
  samples: EvalSample[];
  /** Records whose image file does not exist: skipped and counted. */
  missing: Array<{ index: number; image: string; imagePath: string }>;
  /** Records counted from the file, after `limit`. */
  total: number;
  warnings: string[];
}

/** Reads an annotation file; images are resolved against `imagesDir` (absolute paths are kept). */
export function loadDataset(file: string, imagesDir: string, task: EvalTask, limit?: number): LoadedDataset {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new AnnotationError(`Cannot read the annotation file ${file}: ${(error as Error).message}`);
  }
  const { entries, total, warnings } = parseAnnotations(text, file, task, limit);
  const samples: EvalSample[] = [];
  const missing: LoadedDataset["missing"] = [];
  for (const entry of entries) {
    const imagePath = isAbsolute(entry.image) ? entry.image : resolve(imagesDir, entry.image);
    if (!existsSync(imagePath)) missing.push({ index: entry.index, image: entry.image, imagePath });
    else samples.push({ ...entry, imagePath });
  }
  return { samples, missing, total, warnings };
}
