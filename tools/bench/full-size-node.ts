/**
 * Node side of the `full-size` benchmark, run in its own process (under child-stats.ts):
 * `node --import tsx tools/bench/full-size-node.ts <request.json> <result.json>`. Loads a converted folder with the
 * app's loader and answers one greedy question with the app's generation module, timing each part and checking that
 * every logit is finite.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { Generator } from "../../src/model/generation/generator";
import { promptFromInstruction } from "../../src/model/generation/inputs";
import { loadModelFolder, readModelImage } from "../../src/model/node-folder";

/** What to run. */
export interface NodeRunRequest {
  model: string;
  dtype: string;
  image: string;
  question: string;
  maxNewTokens: number;
}

/** What one run measured. */
export interface NodeRunResult {
  dtype: string;
  input: { width: number; height: number };
  promptTokens: number;
  loadSeconds: number;
  imageEncodeSeconds: number;
  prefillSeconds: number;
  firstTokenSeconds: number;
  /** seconds of each decoding step after the first token */
  stepSeconds: number[];
  tokensPerSecond: number;
  tokenIds: number[];
  text: string;
  /** logits that were NaN or infinite, over every step */
  nonFiniteLogits: number;
  logitRange: [number, number];
}

async function run(request: NodeRunRequest): Promise<NodeRunResult> {
  const loadStarted = performance.now();
  const { model, processor } = await loadModelFolder(request.model, { dtype: request.dtype });
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  const { image } = await readModelImage(request.image);
  const prompt = await promptFromInstruction(processor, image, request.question, false);
  const generator = new Generator(model, processor.tokenizer as never);
  const tokenTimes: number[] = [];
  let nonFiniteLogits = 0;
  const logitRange: [number, number] = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  const output = await generator.generate(
    prompt,
    { kind: "greedy", maxNewTokens: request.maxNewTokens },
    {
      callbacks: {
        onToken: () => tokenTimes.push(performance.now()),
        onLogits: (logits) => {
          for (const value of logits) {
            if (!Number.isFinite(value)) nonFiniteLogits++;
            else {
              logitRange[0] = Math.min(logitRange[0], value);
              logitRange[1] = Math.max(logitRange[1], value);
            }
          }
        },
      },
    },
  );
  generator.dispose();
  await model.dispose();
  return {
    dtype: request.dtype,
    input: { width: image.width, height: image.height },
    promptTokens: prompt.inputIds.length,
    loadSeconds,
    imageEncodeSeconds: output.prefill.imageEncodeMs / 1000,
    prefillSeconds: output.prefill.prefillMs / 1000,
    firstTokenSeconds: output.firstTokenMs / 1000,
    stepSeconds: tokenTimes.slice(1).map((t, i) => (t - tokenTimes[i]) / 1000),
    tokensPerSecond: output.tokensPerSecond,
    tokenIds: output.tokenIds,
    text: output.text,
    nonFiniteLogits,
    logitRange,
  };
}

const [requestPath, resultPath] = process.argv.slice(2);
if (requestPath && resultPath) {
  const request = JSON.parse(readFileSync(requestPath, "utf8")) as NodeRunRequest;
  writeFileSync(resultPath, JSON.stringify(await run(request)));
}
