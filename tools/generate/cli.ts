/**
 * `npm run generate -- --model model-cache/<id> --image <file.png> (--prompt "<text>" | --ids <ids.json>) [--system]
 * [--max-new-tokens N] [--greedy] [--seed N] [--dtype fp32|q4|q4f16] [--dump-logits <out.npy>]`: asks the model one
 * question in Node (onnxruntime-node) with the app's own generation code, streaming the answer to the terminal.
 * Without --dtype the folder's q4 weights are used when it has them, else its first dtype.
 */
import { parseArgs } from "node:util";
import { runGenerate } from "./generate";

const USAGE =
  'Usage: npm run generate -- --model model-cache/<id> --image <file.png> (--prompt "<text>" | --ids <ids.json>) [--system] [--max-new-tokens N] [--greedy] [--seed N] [--dtype fp32|q4|q4f16] [--dump-logits <out.npy>]';

function wholeNumber(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} takes a whole number ≥ 0; got "${value}".`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: "string" },
      image: { type: "string" },
      prompt: { type: "string" },
      ids: { type: "string" },
      system: { type: "boolean", default: false },
      "max-new-tokens": { type: "string", default: "2048" },
      greedy: { type: "boolean", default: false },
      seed: { type: "string" },
      dtype: { type: "string" },
      "dump-logits": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help || !values.model || !values.image) {
    console.error(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const run = await runGenerate(
    {
      model: values.model,
      image: values.image,
      prompt: values.prompt,
      ids: values.ids,
      system: values.system,
      maxNewTokens: wholeNumber(values["max-new-tokens"], "--max-new-tokens") ?? 2048,
      greedy: values.greedy,
      seed: wholeNumber(values.seed, "--seed"),
      dtype: values.dtype,
      dumpLogits: values["dump-logits"],
    },
    (text) => process.stdout.write(text),
  );
  const { output, input, prompt } = run;
  process.stdout.write("\n");
  const facts = [
    `${input.width} × ${input.height} px${input.resized ? " (resized to the model's input size)" : ""}`,
    `${prompt.inputIds.length} prompt tokens`,
    run.dtype,
    `${output.tokenIds.length} tokens`,
    `first token ${output.firstTokenMs.toFixed(0)} ms (image ${output.prefill.imageEncodeMs.toFixed(0)} ms)`,
    `${output.tokensPerSecond.toFixed(1)} tokens/s`,
    output.seed === null ? "greedy" : `seed ${output.seed}`,
  ];
  if (values["dump-logits"]) facts.push(`logits [${run.logitRows}, vocab] → ${values["dump-logits"]}`);
  console.error(facts.join(" · "));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
