import { convertBench } from "./convert.ts";
import { cropBench } from "./crop.ts";
import { evalBench } from "./eval.ts";
import { fullSizeBench } from "./full-size.ts";
import { geotiffBench } from "./geotiff.ts";
import { inferenceBench } from "./inference.ts";
import { inferenceBrowserBench } from "./inference-browser.ts";
import { inspectBench } from "./inspect.ts";
import { sweepBench } from "./sweep.ts";

/** A benchmark part: prints its own figures and ratios. */
export interface BenchPart {
  name: string;
  /** runs only when named (`npm run bench -- full-size`): it takes an hour and tens of GB */
  onlyWhenNamed?: boolean;
  run(): Promise<void>;
}

/** Every part `npm run bench` runs, in order. Add a part by importing it here. */
export const benchParts: BenchPart[] = [
  cropBench,
  geotiffBench,
  convertBench,
  inferenceBench,
  inferenceBrowserBench,
  evalBench,
  inspectBench,
  sweepBench,
  fullSizeBench,
];
