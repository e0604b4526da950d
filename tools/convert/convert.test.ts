import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDtypes, planConversion } from "../../src/convert/convert.ts";
import { familyFor } from "../../src/convert/families.ts";
import { GraphBuilder } from "../../src/convert/graph/builder.ts";
import { ExternalDataWriter } from "../../src/convert/graph/external-data.ts";
import { PlanningLoader, PRECISIONS, SliceQuantizer, WeightLoader } from "../../src/convert/graph/weights.ts";
import { readShardHeader } from "../../src/convert/safetensors/read.ts";
import { readSnapshotConfig } from "../../src/convert/support-files.ts";
import { FileSource } from "../io/file-source.ts";
import { convertSnapshot } from "./convert.ts";
import { chunkSinksOnDisk, openCheckpointDir, snapshotFolder } from "./node-folder.ts";
import { inlineQuantizer } from "./quant/pool.ts";
import { TINY_SIZES, writeSyntheticSnapshot } from "./testing/synthetic.ts";

let root: string;
let snapshot: string;
let out: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "convert-"));
  snapshot = join(root, "snapshot");
  out = join(root, "model-cache", "tiny");
  await writeSyntheticSnapshot(snapshot, TINY_SIZES, { seed: 3 });
  // Tiny limits exercise chunking, row-sliced conversion and the Transpose path for "large" weights.
  await convertSnapshot({
    snapshotDir: snapshot,
    outDir: out,
    dtypes: ["fp32", "q4", "q4f16"],
    chunkBytes: 300_000,
    limits: { sliceBytes: 4096, transposeInMemoryBytes: 100_000 },
  });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const readJson = async (path: string) => JSON.parse(await readFile(path, "utf8"));

function feedsFor(ids: number[], pastLength: number, half: boolean, embeds: ort.Tensor) {
  const feeds: Record<string, ort.Tensor> = {
    inputs_embeds: embeds,
    attention_mask: new ort.Tensor("int64", new BigInt64Array(pastLength + ids.length).fill(1n), [
      1,
      pastLength + ids.length,
    ]),
    position_ids: new ort.Tensor(
      "int64",
      BigInt64Array.from([0, 1, 2].flatMap(() => ids.map((_, i) => BigInt(pastLength + i)))),
      [3, 1, ids.length],
    ),
    num_logits_to_keep: new ort.Tensor("int64", new BigInt64Array([0n]), []),
  };
  for (let i = 0; i < TINY_SIZES.textLayers; i++) {
    for (const kv of ["key", "value"]) {
      const empty = half
        ? new ort.Tensor("float16", new Uint16Array(0), [1, 2, 0, 32])
        : new ort.Tensor("float32", new Float32Array(0), [1, 2, 0, 32]);
      feeds[`past_key_values.${i}.${kv}`] = empty;
    }
  }
  return feeds;
}

/** Logits of a 5-token prefill and one decoding step on top of its cache, through the folder's fp32 sessions. */
async function prefillAndStep(dir: string, layers: number, packedWidth = 256): Promise<number[]> {
  const ids = [8, 1, 6, 2, 9];
  const embed = await ort.InferenceSession.create(join(dir, "onnx", "embed_tokens.onnx"));
  const { inputs_embeds } = await embed.run({
    input_ids: new ort.Tensor("int64", BigInt64Array.from(ids.map(BigInt)), [1, 5]),
  });
  const decoder = await ort.InferenceSession.create(join(dir, "onnx", "decoder_model_merged.onnx"));
  expect(decoder.outputNames).toContain(`present.${layers - 1}.value`);
  const prefill = await decoder.run(feedsFor(ids, 0, false, inputs_embeds));
  const step = feedsFor(
    [4],
    5,
    false,
    new ort.Tensor("float32", (inputs_embeds.data as Float32Array).slice(0, packedWidth), [1, 1, packedWidth]),
  );
  for (let i = 0; i < layers; i++) {
    step[`past_key_values.${i}.key`] = prefill[`present.${i}.key`];
    step[`past_key_values.${i}.value`] = prefill[`present.${i}.value`];
  }
  const decoded = await decoder.run(step);
  return [...(prefill.logits.data as Float32Array), ...(decoded.logits.data as Float32Array)];
}

describe("convertSnapshot", () => {
  it("writes the transformers.js folder: sessions per dtype, chunked external data, config and manifest", async () => {
    const onnx = (await readdir(join(out, "onnx"))).sort();
    for (const suffix of ["", "_q4", "_q4f16"]) {
      for (const session of ["vision_encoder", "embed_tokens", "decoder_model_merged", "kv_cache_reorder"])
        expect(onnx).toContain(`${session}${suffix}.onnx`);
    }
    expect(onnx).toContain("decoder_model_merged.onnx_data_1");
    const config = await readJson(join(out, "config.json"));
    expect(config.model_type).toBe("qwen3_vl");
    const jsConfig = config["transformers.js_config"];
    expect(jsConfig.dtype).toEqual({ vision_encoder: "fp32", embed_tokens: "fp32", decoder_model_merged: "fp32" });
    const chunks = onnx.filter((f) => f.startsWith("decoder_model_merged.onnx_data")).length;
    expect(jsConfig.use_external_data_format["decoder_model_merged.onnx"]).toBe(chunks);
    expect((await readJson(join(out, "preprocessor_config.json"))).do_normalize).toBe(true);
    expect((await readJson(join(out, "tokenizer_config.json"))).chat_template).toContain(
      "<|vision_start|><|image_pad|><|vision_end|>",
    );
    const manifest = await readJson(join(out, "manifest.json"));
    expect(manifest.dtypes).toEqual(["fp32", "q4", "q4f16"]);
    for (const file of manifest.files as { path: string; bytes: number; sha256: string }[]) {
      const bytes = await readFile(join(out, file.path));
      expect(bytes.byteLength).toBe(file.bytes);
      expect(createHash("sha256").update(bytes).digest("hex")).toBe(file.sha256);
    }
    expect((await readdir(join(root, "model-cache"))).filter((f) => f.includes("partial"))).toEqual([]);
  });

  it("builds graphs that run in onnxruntime-node with packed DeepStack features", async () => {
    const vision = await ort.InferenceSession.create(join(out, "onnx", "vision_encoder.onnx"));
    const pixels = Float32Array.from({ length: 32 * 1536 }, (_, i) => Math.sin(i * 0.1));
    const { image_features } = await vision.run({
      pixel_values: new ort.Tensor("float32", pixels, [32, 1536]),
      image_grid_thw: new ort.Tensor("int64", new BigInt64Array([1n, 4n, 8n]), [1, 3]),
    });
    expect(image_features.dims).toEqual([8, 64 * 4]);
    const features = image_features.data as Float32Array;
    for (let block = 0; block < 4; block++) {
      const column = features.subarray(block * 64, block * 64 + 64);
      expect(column.some((v) => v !== 0)).toBe(true);
    }
    const embed = await ort.InferenceSession.create(join(out, "onnx", "embed_tokens.onnx"));
    const ids = [3, 7, 11, 2];
    const { inputs_embeds } = await embed.run({
      input_ids: new ort.Tensor("int64", BigInt64Array.from(ids.map(BigInt)), [1, 4]),
    });
    expect(inputs_embeds.dims).toEqual([1, 4, 256]);
    expect((inputs_embeds.data as Float32Array).subarray(64, 256).every((v) => v === 0)).toBe(true);

    const decoder = await ort.InferenceSession.create(join(out, "onnx", "decoder_model_merged.onnx"), {
      logSeverityLevel: 3,
    });
    const plain = await decoder.run(feedsFor(ids, 0, false, inputs_embeds));
    expect(plain.logits.dims).toEqual([1, 4, TINY_SIZES.vocab]);
    expect(plain["present.0.key"].dims).toEqual([1, 2, 4, 32]);
    // Put image features (with their DeepStack columns) on one row: the logits must change, and must differ
    // from the same row without the DeepStack columns.
    const withImage = new Float32Array(inputs_embeds.data as Float32Array);
    withImage.set(features.subarray(0, 256), 256);
    const withoutDeepstack = new Float32Array(withImage);
    withoutDeepstack.fill(0, 256 + 64, 512);
    const run = async (data: Float32Array) =>
      (await decoder.run(feedsFor(ids, 0, false, new ort.Tensor("float32", data, [1, 4, 256])))).logits
        .data as Float32Array;
    const a = await run(withImage);
    const b = await run(withoutDeepstack);
    const lastRow = (x: Float32Array) => x.subarray(3 * TINY_SIZES.vocab);
    expect(Math.max(...lastRow(a).map((v, i) => Math.abs(v - lastRow(b)[i])))).toBeGreaterThan(1e-3);
  });

  it("keeps q4 and q4f16 close to fp32 and honours num_logits_to_keep", async () => {
    const ids = [5, 9, 4];
    const logitsFor = async (suffix: string, keep?: number) => {
      const embed = await ort.InferenceSession.create(join(out, "onnx", `embed_tokens${suffix}.onnx`));
      const { inputs_embeds } = await embed.run({
        input_ids: new ort.Tensor("int64", BigInt64Array.from(ids.map(BigInt)), [1, 3]),
      });
      const decoder = await ort.InferenceSession.create(join(out, "onnx", `decoder_model_merged${suffix}.onnx`), {
        logSeverityLevel: 3,
      });
      const feeds = feedsFor(ids, 0, suffix === "_q4f16", inputs_embeds);
      if (keep !== undefined) feeds.num_logits_to_keep = new ort.Tensor("int64", new BigInt64Array([BigInt(keep)]), []);
      return (await decoder.run(feeds)).logits;
    };
    const reference = (await logitsFor("")).data as Float32Array;
    const scale = Math.max(...reference.map(Math.abs));
    for (const suffix of ["_q4", "_q4f16"]) {
      const quantised = (await logitsFor(suffix)).data as Float32Array;
      const error = Math.max(...quantised.map((v, i) => Math.abs(v - reference[i])));
      expect(error / scale).toBeLessThan(0.5);
      expect(error).toBeGreaterThan(0);
    }
    const last = await logitsFor("", 1);
    expect(last.dims).toEqual([1, 1, TINY_SIZES.vocab]);
    expect([...(last.data as Float32Array)]).toEqual([...reference.subarray(2 * TINY_SIZES.vocab)]);
  });

  it("builds the same decoder with GroupQueryAttention and with portable attention", async () => {
    const fusedDir = join(root, "model-cache", "fused");
    await convertSnapshot({ snapshotDir: snapshot, outDir: fusedDir, dtypes: ["fp32"], attention: "fused" });
    const fused = await prefillAndStep(fusedDir, TINY_SIZES.textLayers);
    const portable = await prefillAndStep(out, TINY_SIZES.textLayers);
    const scale = Math.max(...portable.map(Math.abs));
    expect(Math.max(...fused.map((v, i) => Math.abs(v - portable[i])))).toBeLessThan(1e-5 * scale);
    expect((await readJson(join(out, "manifest.json"))).attention).toBe("portable");
    expect((await readJson(join(out, "manifest.json"))).visionAttention).toBe("portable");
    expect((await readJson(join(fusedDir, "manifest.json"))).attention).toBe("fused");
  });

  it("builds the same decoder with both attentions when layers hand their residual to the next layer's norm", async () => {
    // one DeepStack level: layers 1 and 2 close in the next layer's SkipSimplifiedLayerNormalization, layer 3 in the
    // final norm's
    const sizes = { ...TINY_SIZES, deepstack: [1] };
    const other = join(root, "snapshot-one-deepstack");
    await writeSyntheticSnapshot(other, sizes, { seed: 4 });
    const dirs = { fused: join(root, "one-deepstack-fused"), portable: join(root, "one-deepstack-portable") };
    await convertSnapshot({ snapshotDir: other, outDir: dirs.fused, dtypes: ["fp32"], attention: "fused" });
    await convertSnapshot({ snapshotDir: other, outDir: dirs.portable, dtypes: ["fp32"], attention: "portable" });
    const fused = await prefillAndStep(dirs.fused, sizes.textLayers, 128);
    const portable = await prefillAndStep(dirs.portable, sizes.textLayers, 128);
    const scale = Math.max(...portable.map(Math.abs));
    expect(Math.max(...fused.map((v, i) => Math.abs(v - portable[i])))).toBeLessThan(1e-5 * scale);
  });

  it("converts the vision tower at its own dtype and names it in transformers.js_config", async () => {
    const mixed = join(root, "model-cache", "mixed");
    await convertSnapshot({ snapshotDir: snapshot, outDir: mixed, dtypes: ["q4f16"], visionDtype: "fp16" });
    const onnx = await readdir(join(mixed, "onnx"));
    expect(onnx.filter((f) => f.endsWith(".onnx")).sort()).toEqual([
      "decoder_model_merged_q4f16.onnx",
      "embed_tokens_q4f16.onnx",
      "kv_cache_reorder_q4f16.onnx",
      "vision_encoder_fp16.onnx",
    ]);
    const config = await readJson(join(mixed, "config.json"));
    expect(config["transformers.js_config"].dtype).toEqual({
      vision_encoder: "fp16",
      embed_tokens: "q4f16",
      decoder_model_merged: "q4f16",
    });
    const manifest = await readJson(join(mixed, "manifest.json"));
    expect(manifest.source.shards).toEqual(["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]);
    // A folder published to a static host must not show where it was converted.
    expect(manifest.source.folder).toBe("snapshot");
    expect(JSON.stringify(manifest)).not.toContain(root);
    const vision = await ort.InferenceSession.create(join(mixed, "onnx", "vision_encoder_fp16.onnx"));
    const { image_features } = await vision.run({
      pixel_values: new ort.Tensor("float32", new Float32Array(16 * 1536).fill(0.25), [16, 1536]),
      image_grid_thw: new ort.Tensor("int64", new BigInt64Array([1n, 4n, 4n]), [1, 3]),
    });
    expect(image_features.type).toBe("float32");
    expect(image_features.dims).toEqual([4, 256]);
  });

  it("refuses a chat template that never places images", async () => {
    const textOnly = join(root, "text-only");
    await writeSyntheticSnapshot(
      textOnly,
      { ...TINY_SIZES, textLayers: 1, visionDepth: 2, deepstack: [1] },
      { shards: 1 },
    );
    await rm(join(textOnly, "chat_template.json"));
    await writeFile(
      join(textOnly, "tokenizer_config.json"),
      JSON.stringify({ chat_template: "{{ messages[0].content }}" }),
    );
    await expect(
      convertSnapshot({ snapshotDir: textOnly, outDir: join(root, "out-text"), dtypes: ["q4"] }),
    ).rejects.toThrow("the chat template never writes <|vision_start|><|image_pad|><|vision_end|>");
    expect((await readdir(root)).filter((f) => f.includes("out-text"))).toEqual([]);
  });

  it("names an unsupported dtype with the allowed ones", () => {
    expect(() => parseDtypes("q4,int8", "--dtype")).toThrow(
      'Unsupported --dtype "int8"; expected one or more of: fp32, fp16, q4, q4f16',
    );
    expect(parseDtypes("fp32, q4f16", "--dtype")).toEqual(["fp32", "q4f16"]);
  });

  it("names the model_type of a snapshot that is not Qwen3-VL", async () => {
    const other = join(root, "llama");
    await writeSyntheticSnapshot(other, { ...TINY_SIZES, textLayers: 1, visionDepth: 1, deepstack: [] }, { shards: 1 });
    await writeFile(join(other, "config.json"), JSON.stringify({ model_type: "llama" }));
    await expect(convertSnapshot({ snapshotDir: other, outDir: join(root, "x"), dtypes: ["q4"] })).rejects.toThrow(
      'is not a Qwen3-VL snapshot: config.json has model_type "llama"; expected one of: qwen3_vl.',
    );
  });

  it("fails on a truncated shard, naming it, and leaves no folder behind", async () => {
    const broken = join(root, "broken");
    await writeSyntheticSnapshot(broken, TINY_SIZES, { shards: 2 });
    const shard = join(broken, "model-00002-of-00002.safetensors");
    const size = (await readFile(shard)).byteLength;
    await truncate(shard, size - 10);
    const target = join(root, "out-broken");
    await expect(convertSnapshot({ snapshotDir: broken, outDir: target, dtypes: ["q4"] })).rejects.toThrow(
      `model-00002-of-00002.safetensors: truncated: expected ${size} bytes, found ${size - 10}`,
    );
    expect((await readdir(root)).filter((f) => f.includes("out-broken"))).toEqual([]);
  });

  it("removes the partial folder when a build fails midway", async () => {
    const missing = join(root, "missing");
    await writeSyntheticSnapshot(missing, TINY_SIZES, { shards: 1 });
    const index = { weight_map: { "model.visual.patch_embed.proj.weight": "model-00001-of-00001.safetensors" } };
    await writeFile(join(missing, "model.safetensors.index.json"), JSON.stringify(index));
    await rm(join(missing, "preprocessor_config.json"));
    await expect(
      convertSnapshot({ snapshotDir: missing, outDir: join(root, "out-missing"), dtypes: ["fp32"] }),
    ).rejects.toThrow();
    expect((await readdir(root)).filter((f) => f.includes("out-missing"))).toEqual([]);
  });

  it("fails on NaN weights naming the tensor and row, and leaves no folder behind", async () => {
    const poisoned = join(root, "poisoned");
    await writeSyntheticSnapshot(poisoned, TINY_SIZES, { shards: 1 });
    const shard = join(poisoned, "model-00001-of-00001.safetensors");
    const tensorName = "model.language_model.layers.1.mlp.down_proj.weight";
    const header = await readShardHeader(new FileSource(shard), "model-00001-of-00001.safetensors");
    const tensor = header.tensors.find((t) => t.name === tensorName);
    if (!tensor) throw new Error(`${tensorName} missing from the synthetic snapshot`);
    const bytes = await readFile(shard);
    const rowBytes = tensor.byteLength / tensor.shape[0];
    bytes.writeUInt16LE(0x7fc0, tensor.offset + 5 * rowBytes + 6); // a bf16 NaN in row 5
    await writeFile(shard, bytes);
    const target = join(root, "out-poisoned");
    await expect(convertSnapshot({ snapshotDir: poisoned, outDir: target, dtypes: ["q4"] })).rejects.toThrow(
      `Tensor ${tensorName}: row 5 holds NaN or infinite values`,
    );
    expect((await readdir(root)).filter((f) => f.includes("out-poisoned"))).toEqual([]);
  });

  it("plans the tensors each build quantises in the order it takes them, so every slice is prefetched", async () => {
    const config = await readSnapshotConfig(snapshotFolder(snapshot));
    const sessions = familyFor(config, snapshot).prepare(config, {
      attention: "portable",
      visionAttention: "portable",
    });
    const checkpoint = await openCheckpointDir(snapshot);
    const limits = { sliceBytes: 4096, transposeInMemoryBytes: 100_000 };
    const plan: string[] = [];
    for (const session of sessions) {
      const planner = new PlanningLoader(checkpoint, PRECISIONS.q4);
      await session.build(new GraphBuilder(session.name, undefined), planner);
      plan.push(...planner.quantized);
    }
    expect(plan).toContain("model.language_model.embed_tokens.weight");
    expect(plan.length).toBeGreaterThan(3 * TINY_SIZES.textLayers);
    const slices = new SliceQuantizer(checkpoint, inlineQuantizer(), 32, limits, plan);
    const dir = await mkdtemp(join(root, "plan-"));
    for (const session of sessions) {
      const writer = new ExternalDataWriter(
        await chunkSinksOnDisk(dir, `${session.name}.onnx`, 1),
        `${session.name}.onnx`,
      );
      await session.build(
        new GraphBuilder(session.name, writer),
        new WeightLoader(checkpoint, PRECISIONS.q4, { slices, limits }),
      );
      writer.close();
    }
    expect(slices.unplanned).toBe(0);
  });

  it("plans, before writing, the exact size of every file the conversion writes", async () => {
    const config = await readSnapshotConfig(snapshotFolder(snapshot));
    const checkpoint = await openCheckpointDir(snapshot);
    const plans = await planConversion(config, checkpoint, {
      dtypes: ["fp32", "q4", "q4f16"],
      chunkBytes: 300_000,
      limits: { sliceBytes: 4096, transposeInMemoryBytes: 100_000 },
    });
    const manifest = await readJson(join(out, "manifest.json"));
    const decoder = manifest.files.find((f: { path: string }) => f.path === "onnx/decoder_model_merged_q4.onnx");
    // The largest weight of the q4 decoder is its 4-bit head; the app checks it against the GPU's buffer limit.
    expect(decoder.largestInitializer).toEqual({
      name: "lm_head.weight.q4",
      bytes: (TINY_SIZES.vocab * TINY_SIZES.textHidden) / 2,
    });
    const planned = new Map<string, number>();
    for (const plan of plans) {
      planned.set(plan.fileName, plan.graphBytes);
      for (const file of plan.dataFiles) planned.set(file.name, file.bytes);
    }
    const written = new Map<string, number>();
    for (const name of await readdir(join(out, "onnx"))) written.set(name, (await stat(join(out, "onnx", name))).size);
    expect(new Map([...planned].sort())).toEqual(new Map([...written].sort()));
  });

  it("refuses before writing anything when the disk lacks the planned bytes", async () => {
    process.env.GEOZERO_FREE_BYTES = "2000000";
    try {
      await expect(
        convertSnapshot({ snapshotDir: snapshot, outDir: join(root, "model-cache", "no-room"), dtypes: ["q4"] }),
      ).rejects.toThrow(
        /^Converting .* to q4 needs 0\.\d GB in .*model-cache \(and 1\.0 GB to spare\), but its disk has 0\.0 GB free/,
      );
    } finally {
      delete process.env.GEOZERO_FREE_BYTES;
    }
    expect(await readdir(join(root, "model-cache"))).not.toContain("no-room");
  });
});
