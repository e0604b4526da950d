import { Tensor } from "@huggingface/transformers";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CacheReorderMissingError } from "../model-errors";
import type { GeoZeroQwen3VL } from "../qwen3-vl/model";
import { loadTiny } from "../testing-tiny";
import { CACHE_REORDER_SESSION, KvDecoder, type OrtSession, sessionOf } from "./decoder";
import { Generator } from "./generator";
import type { PreparedPrompt } from "./inputs";
import { seededRandom } from "./sampling";

let tiny: Awaited<ReturnType<typeof loadTiny>>;

beforeAll(async () => {
  tiny = await loadTiny();
});
afterAll(async () => {
  await tiny.model.dispose();
});

/** Old row `rows[r]` of every head, cut to `length` positions, written out plainly: the expected reorder. */
function reorderByHand(data: Float32Array, dims: number[], rows: number[], length: number): Float32Array {
  const [, heads, oldLength, dim] = dims;
  const out: number[] = [];
  for (const row of rows)
    for (let h = 0; h < heads; h++)
      for (let t = 0; t < length; t++)
        for (let d = 0; d < dim; d++) out.push(data[((row * heads + h) * oldLength + t) * dim + d]);
  return Float32Array.from(out);
}

describe("the kv_cache_reorder graph", () => {
  it("picks rows (repeated, reordered) and cuts positions exactly, for every layer's key and value", async () => {
    const reorder = sessionOf(tiny.model, CACHE_REORDER_SESSION) as OrtSession & ort.InferenceSession;
    const dims = [3, 2, 7, 32];
    const random = seededRandom(11);
    const feeds: Record<string, ort.Tensor> = {};
    const names = reorder.inputNames.filter((name) => name.startsWith("past_key_values."));
    expect(names.length).toBe(8);
    for (const name of names)
      feeds[name] = new ort.Tensor("float32", Float32Array.from({ length: 3 * 2 * 7 * 32 }, random), dims);
    for (const [rows, length] of [
      [[2, 0, 0, 1], 7],
      [[1], 4],
      [[0, 1, 2], 1],
    ] as const) {
      const out = await reorder.run({
        ...feeds,
        rows: new ort.Tensor("int64", BigInt64Array.from(rows, BigInt), [rows.length]),
        length: new ort.Tensor("int64", new BigInt64Array([BigInt(length)]), [1]),
      });
      for (const name of names) {
        const present = out[name.replace("past_key_values.", "present.")];
        expect(present.dims).toEqual([rows.length, 2, length, 32]);
        const expected = reorderByHand(feeds[name].data as Float32Array, dims, [...rows], length);
        expect(present.data as Float32Array).toEqual(expected);
      }
    }
  });

  it("a folder without it still answers greedily, reuses no prefix, and names the fix when beams need it", async () => {
    const decoder = new KvDecoder(
      sessionOf(tiny.model, "decoder_model_merged"),
      sessionOf(tiny.model, "embed_tokens"),
      undefined,
    );
    expect(decoder.canReorder).toBe(false);
    await decoder.run(await decoder.embed([[1, 2, 3]]), int64Positions(3));
    await decoder.step([4]);
    await expect(decoder.gather([0, 0])).rejects.toBeInstanceOf(CacheReorderMissingError);
    decoder.dispose();
  });
});

function int64Positions(n: number): ort.Tensor {
  return new ort.Tensor(
    "int64",
    BigInt64Array.from({ length: 3 * n }, (_, i) => BigInt(i % n)),
    [3, 1, n],
  );
}

/** What crossed from the fake GPU to JavaScript memory: outputs placed on the CPU, and every download. */
class Ledger {
  bytes = 0;
  readonly downloaded: string[] = [];
}

/** A tensor where a session placed it: on the fake GPU its values can only be downloaded, and the ledger sees it. */
class PlacedTensor {
  readonly type = "float32";
  readonly size: number;
  constructor(
    readonly name: string,
    readonly dims: number[],
    readonly location: "gpu-buffer" | "cpu",
    private readonly values: Float32Array,
    private readonly ledger: Ledger,
  ) {
    this.size = dims.reduce((a, b) => a * b, 1);
    if (location === "cpu") ledger.bytes += this.size * 4;
  }
  get data(): Float32Array {
    if (this.location === "gpu-buffer") throw new Error(`${this.name} is in a GPU buffer: download it with getData()`);
    return this.values;
  }
  async getData(): Promise<Float32Array> {
    if (this.location === "gpu-buffer") {
      this.ledger.bytes += this.size * 4;
      this.ledger.downloaded.push(this.name);
    }
    return this.values;
  }
  dispose(): void {}
}

const FAKE = { layers: 2, heads: 2, headDim: 4, width: 8, vocab: 50, imageToken: 9 };

/**
 * The converted model's sessions as WebGPU places their outputs: the token embeddings and the KV cache in GPU buffers,
 * logits and the vision encoder's features on the CPU. Shapes are checked as the real graphs would.
 */
function fakeGpuModel(ledger: Ledger) {
  const { layers, heads, headDim, width, vocab } = FAKE;
  const cacheNames = Array.from({ length: layers }, (_, i) => [
    `past_key_values.${i}.key`,
    `past_key_values.${i}.value`,
  ]).flat();
  const cacheMeta = cacheNames.map((name) => ({
    name,
    isTensor: true,
    type: "float32",
    shape: ["batch_size", heads, "past", headDim],
  }));
  const dimsOf = (feed: unknown) => (feed as { dims: readonly number[] }).dims;
  const cache = (out: Record<string, PlacedTensor>, rows: number, length: number) => {
    for (const name of cacheNames) {
      const present = name.replace("past_key_values.", "present.");
      out[present] = new PlacedTensor(
        present,
        [rows, heads, length, headDim],
        "gpu-buffer",
        new Float32Array(rows * heads * length * headDim),
        ledger,
      );
    }
    return out;
  };
  const decoder = {
    inputNames: ["inputs_embeds", "attention_mask", "position_ids", ...cacheNames, "num_logits_to_keep"],
    inputMetadata: cacheMeta,
    run: async (feeds: Record<string, unknown>) => {
      const [rows, n] = dimsOf(feeds.inputs_embeds);
      const past = dimsOf(feeds["past_key_values.0.key"])[2];
      expect(dimsOf(feeds.attention_mask)).toEqual([rows, past + n]);
      expect(dimsOf(feeds.position_ids)).toEqual([3, rows, n]);
      const logits = Float32Array.from({ length: rows * vocab }, (_, i) => ((i % vocab) * 7 + past + n) % vocab);
      return cache({ logits: new PlacedTensor("logits", [rows, 1, vocab], "cpu", logits, ledger) }, rows, past + n);
    },
  };
  const embedTokens = {
    inputNames: ["input_ids"],
    inputMetadata: [],
    run: async ({ input_ids }: Record<string, unknown>) => {
      const [rows, n] = dimsOf(input_ids);
      const embeds = new PlacedTensor(
        "inputs_embeds",
        [rows, n, width],
        "gpu-buffer",
        new Float32Array(rows * n * width),
        ledger,
      );
      return { inputs_embeds: embeds };
    },
  };
  const reorder = {
    inputNames: [...cacheNames, "rows", "length"],
    inputMetadata: [],
    run: async (feeds: Record<string, unknown>) => {
      const rows = dimsOf(feeds.rows)[0];
      const length = Number((feeds.length as { data: BigInt64Array }).data[0]);
      return cache({}, rows, length);
    },
  };
  return {
    sessions: { decoder_model_merged: decoder, embed_tokens: embedTokens, [CACHE_REORDER_SESSION]: reorder },
    config: { image_token_id: FAKE.imageToken },
    generation_config: { eos_token_id: [] },
    encode_image: async ({ image_grid_thw }: { image_grid_thw: Tensor }) => {
      const tokens = Number((image_grid_thw.data as BigInt64Array)[1]);
      // The vision encoder's features come back to the CPU (their merge into the embeddings is in JavaScript).
      const features = new PlacedTensor(
        "image_features",
        [tokens, width],
        "cpu",
        new Float32Array(tokens * width).fill(1),
        ledger,
      );
      return { dims: features.dims, ort_tensor: features };
    },
    get_rope_index: (ids: Tensor) => {
      const n = ids.dims[1];
      return [
        new Tensor(
          "int64",
          BigInt64Array.from({ length: 3 * n }, (_, i) => BigInt(i % n)),
          [3, 1, n],
        ),
        new Tensor("int64", new BigInt64Array(1), [1, 1]),
      ];
    },
  } as unknown as GeoZeroQwen3VL;
}

/** A prompt of `length` ids with `imageTokens` image pads from position `imageAt`. */
function fakePrompt(length: number, imageAt: number, imageTokens: number, key = "image-a"): PreparedPrompt {
  const inputIds = Array.from({ length }, (_, i) =>
    i >= imageAt && i < imageAt + imageTokens ? FAKE.imageToken : 100 + i,
  );
  const gridThw = new Tensor("int64", BigInt64Array.from([1n, BigInt(imageTokens), 1n]), [1, 3]);
  return {
    inputIds,
    image: { pixelValues: new Tensor("float32", new Float32Array(4), [1, 4]), gridThw, tokens: imageTokens, key },
  };
}

const tokenizer = { decode: (ids: number[]) => ids.join(" ") };

describe("bytes crossing to JavaScript memory, with the tensors placed as on WebGPU", () => {
  const { vocab, width } = FAKE;

  it("are the image's features, the embeddings of the chunks with image rows, and one row of logits a run", async () => {
    const ledger = new Ledger();
    const generator = new Generator(fakeGpuModel(ledger), tokenizer, { prefillChunk: 8 });
    // 20 positions in chunks of 8: the image's 6 rows (5–10) fall in the first two.
    const out = await generator.generate(fakePrompt(20, 5, 6), { kind: "greedy", maxNewTokens: 4 });
    expect(out.tokenIds).toHaveLength(4);
    expect(ledger.downloaded).toEqual(["inputs_embeds", "inputs_embeds"]);
    expect(out.transfers.prefillBytesToCpu).toBe(6 * width * 4 + 2 * 8 * width * 4 + 3 * vocab * 4);
    expect(out.transfers).toMatchObject({ decodeSteps: 3, decodeBytesToCpu: 3 * vocab * 4 });
    expect(generator.transfers.bytesToCpu).toBe(ledger.bytes);
    generator.dispose();
  });

  it("of beam search are its logits only: the cache is gathered by row where it lives", async () => {
    const ledger = new Ledger();
    const generator = new Generator(fakeGpuModel(ledger), tokenizer);
    const beams = { kind: "beam", numBeams: 3, lengthPenalty: 1, earlyStopping: false, maxNewTokens: 5 } as const;
    const out = await generator.generate(fakePrompt(12, 2, 4), beams);
    expect(out.tokenIds).toHaveLength(5);
    expect(ledger.downloaded).toEqual(["inputs_embeds"]);
    expect(out.transfers).toMatchObject({ decodeSteps: 4, decodeBytesToCpu: 4 * 3 * vocab * 4 });
    expect(generator.transfers.bytesToCpu).toBe(ledger.bytes);
    generator.dispose();
  });

  it("of a follow-up on the same image are its logits only: features reused, the cache cut in place, text rows kept on the GPU", async () => {
    const ledger = new Ledger();
    const generator = new Generator(fakeGpuModel(ledger), tokenizer);
    await generator.generate(fakePrompt(16, 2, 4), { kind: "greedy", maxNewTokens: 2 });
    const before = {
      bytes: ledger.bytes,
      downloads: ledger.downloaded.length,
      counted: generator.transfers.bytesToCpu,
    };
    const followUp = fakePrompt(16, 2, 4);
    followUp.inputIds[12] = 7;
    const out = await generator.generate(followUp, { kind: "greedy", maxNewTokens: 1 });
    expect(out.prefill).toMatchObject({ imageFeaturesReused: true, reusedPrefixTokens: 12 });
    expect(ledger.downloaded.length).toBe(before.downloads);
    expect(ledger.bytes - before.bytes).toBe(vocab * 4);
    expect(generator.transfers.bytesToCpu - before.counted).toBe(vocab * 4);
    generator.dispose();
  });
});
