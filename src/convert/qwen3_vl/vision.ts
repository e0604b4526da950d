import type { AttentionKind } from "../family-types.ts";
import type { GraphBuilder } from "../graph/builder.ts";
import {
  makeAdd,
  makeCast,
  makeConcat,
  makeCos,
  makeDiv,
  makeEqual,
  makeErf,
  makeFloor,
  makeGather,
  makeLayerNorm,
  makeLess,
  makeMatMul,
  makeMax,
  makeMin,
  makeMul,
  makeRange,
  makeReshape,
  makeShape,
  makeSin,
  makeSplit,
  makeSqueeze,
  makeSub,
  makeTanh,
  makeTile,
  makeTranspose,
  makeUnsqueeze,
  makeWhere,
} from "../graph/ops.ts";
import type { WeightLoader } from "../graph/weights.ts";
import type { Qwen3VLConfig } from "./config.ts";
import { makeRotary } from "./text.ts";
import { makeVisionAttention } from "./vision-attention.ts";

type VisionConfig = Qwen3VLConfig["vision"];
const V = "model.visual";
const LAYER_NORM_EPS = 1e-6;

/** The grid of the (single) image: scalars t, h, w (int64) and their float forms. */
interface Grid {
  t: string;
  h: string;
  w: string;
}

/** Inverse frequencies of the vision rotary table: 10000^(−2i/(d/2)), i < d/4, d = vision head dim. */
export function visionInverseFrequencies(headDim: number): Float32Array {
  const dim = headDim / 2;
  return Float32Array.from({ length: dim / 2 }, (_, i) => 1 / 10000 ** ((2 * i) / dim));
}

/**
 * torch.linspace(0, side − 1, n) as float32, with torch's two-sided formula:
 * i < n/2 → step·i, else (side − 1) − step·(n − 1 − i), step = (side − 1)/(n − 1).
 */
function makeLinspace(g: GraphBuilder, prefix: string, count: string, side: number): string {
  const index = makeRange(g, `${prefix}/Range`, g.int64([0], []), count, g.int64([1], []));
  const indexF = makeCast(g, `${prefix}/index/Cast`, index, "float32");
  const countF = makeCast(g, `${prefix}/count/Cast`, count, "float32");
  const one = g.float(1, "float32");
  const gaps = makeMax(g, `${prefix}/gaps/Max`, makeSub(g, `${prefix}/gaps/Sub`, countF, one), one);
  const step = makeDiv(g, `${prefix}/step/Div`, g.float(side - 1, "float32"), gaps);
  const forward = makeMul(g, `${prefix}/forward/Mul`, step, indexF);
  const fromEnd = makeSub(g, `${prefix}/from_end/Sub`, makeSub(g, `${prefix}/rest/Sub`, countF, one), indexF);
  const backward = makeSub(
    g,
    `${prefix}/backward/Sub`,
    g.float(side - 1, "float32"),
    makeMul(g, `${prefix}/backward/Mul`, step, fromEnd),
  );
  const halfway = makeDiv(g, `${prefix}/halfway/Div`, count, g.int64([2], []));
  return makeWhere(g, `${prefix}/Where`, makeLess(g, `${prefix}/Less`, index, halfway), forward, backward);
}

/**
 * Reorders [h, w, C] row-major positions into merge-window order and repeats them for t frames: [t·h·w, C].
 *
 *   x [h,w,C] ─Reshape[h/m,m,w/m,m,C]─Transpose(0,2,1,3,4)─Reshape[-1,C]─Tile[t,1]─► [t·h·w, C]
 */
function makeMergeOrder(
  g: GraphBuilder,
  prefix: string,
  x: string,
  grid: Grid,
  merge: number,
  channels: number,
): string {
  const m = g.int64([merge], []);
  const dims = [
    makeDiv(g, `${prefix}/h/Div`, grid.h, m),
    g.int64([merge], []),
    makeDiv(g, `${prefix}/w/Div`, grid.w, m),
    g.int64([merge], []),
    g.int64([channels], []),
  ].map((d, i) => makeUnsqueeze(g, `${prefix}/dim_${i}/Unsqueeze`, d, [0]));
  const shape = makeConcat(g, `${prefix}/shape/Concat`, dims, 0);
  const windows = makeTranspose(
    g,
    `${prefix}/Transpose`,
    makeReshape(g, `${prefix}/Reshape`, x, shape),
    [0, 2, 1, 3, 4],
  );
  const flat = makeReshape(g, `${prefix}/flat/Reshape`, windows, g.int64([-1, channels]));
  const repeats = makeConcat(
    g,
    `${prefix}/repeats/Concat`,
    [makeUnsqueeze(g, `${prefix}/t/Unsqueeze`, grid.t, [0]), g.int64([1])],
    0,
  );
  return makeTile(g, `${prefix}/Tile`, flat, repeats);
}

/**
 * Learned position embeddings bilinearly interpolated from the side×side table to the h×w grid
 * (upstream `fast_pos_embed_interpolate`), in merge-window order.
 *
 *   linspace(h), linspace(w) ─Floor/Min─► 4 corner indices [h,w] ─Gather(pos_embed)─Mul(corner weights)─Sum
 *   ─► [h,w,C] ─MergeOrder─► [t·h·w, C]
 */
async function makePositionEmbeddings(g: GraphBuilder, loader: WeightLoader, config: VisionConfig, grid: Grid) {
  const prefix = "/model/visual/pos_embed";
  const side = Math.round(Math.sqrt(config.numPositionEmbeddings));
  const table = await loader.tensor(g, `${V}.pos_embed.weight`);
  const axis = (name: string, count: string) => {
    const position = makeLinspace(g, `${prefix}/${name}/linspace`, count, side);
    const floorF = makeFloor(g, `${prefix}/${name}/Floor`, position);
    const floor = makeCast(g, `${prefix}/${name}/floor/Cast`, floorF, "int64");
    const ceil = makeMin(
      g,
      `${prefix}/${name}/ceil/Min`,
      makeAdd(g, `${prefix}/${name}/ceil/Add`, floor, g.int64([1], [])),
      g.int64([side - 1], []),
    );
    const frac = makeSub(g, `${prefix}/${name}/frac/Sub`, position, floorF);
    const rest = makeSub(g, `${prefix}/${name}/rest/Sub`, g.float(1, "float32"), frac);
    return { floor, ceil, frac, rest };
  };
  const hAxis = axis("h", grid.h);
  const wAxis = axis("w", grid.w);
  const column = (x: string, n: string) => makeUnsqueeze(g, `${prefix}/${n}/Unsqueeze`, x, [1]);
  const row = (x: string, n: string) => makeUnsqueeze(g, `${prefix}/${n}/Unsqueeze`, x, [0]);
  const sideConst = g.int64([side], []);
  const corners: [string, string, string][] = [
    ["00", hAxis.floor, wAxis.floor],
    ["01", hAxis.floor, wAxis.ceil],
    ["10", hAxis.ceil, wAxis.floor],
    ["11", hAxis.ceil, wAxis.ceil],
  ];
  const weightsOf: Record<string, [string, string]> = {
    "00": [hAxis.rest, wAxis.rest],
    "01": [hAxis.rest, wAxis.frac],
    "10": [hAxis.frac, wAxis.rest],
    "11": [hAxis.frac, wAxis.frac],
  };
  let sum = "";
  for (const [key, hIndex, wIndex] of corners) {
    const p = `${prefix}/corner_${key}`;
    const base = makeMul(g, `${p}/base/Mul`, hIndex, sideConst);
    const index = makeAdd(g, `${p}/index/Add`, column(base, `corner_${key}/base`), row(wIndex, `corner_${key}/w`));
    const [wh, ww] = weightsOf[key];
    const weight = makeMul(g, `${p}/weight/Mul`, column(wh, `corner_${key}/wh`), row(ww, `corner_${key}/ww`));
    const weightT = g.floatType === "float32" ? weight : makeCast(g, `${p}/weight/Cast`, weight, g.floatType);
    const term = makeMul(
      g,
      `${p}/Mul`,
      makeGather(g, `${p}/Gather`, table, index),
      makeUnsqueeze(g, `${p}/weight/Unsqueeze`, weightT, [2]),
    );
    sum = sum === "" ? term : makeAdd(g, `${p}/Add`, sum, term);
  }
  return makeMergeOrder(g, `${prefix}/merge_order`, sum, grid, config.spatialMergeSize, config.hiddenSize);
}

/**
 * 2-D rotary angles per patch (row, column) in merge-window order: cos, sin [N, 1, head_dim].
 *
 *   (Range(h)[:,None], Range(w)[None,:]) ─► coords [h,w,2] ─MergeOrder─► [N,2] ─Mul(inv_freq)─Reshape[N,d/2]
 *   ─Concat(x,x)─Cos/Sin─Unsqueeze(1)
 */
function makeVisionRotary(g: GraphBuilder, config: VisionConfig, grid: Grid) {
  const prefix = "/model/visual/rotary_pos_emb";
  const headDim = config.hiddenSize / config.numHeads;
  const zero = g.int64([0], []);
  const one = g.int64([1], []);
  const rows = makeCast(g, `${prefix}/rows/Cast`, makeRange(g, `${prefix}/rows/Range`, zero, grid.h, one), "float32");
  const cols = makeCast(g, `${prefix}/cols/Cast`, makeRange(g, `${prefix}/cols/Range`, zero, grid.w, one), "float32");
  const zeroRow = makeMul(
    g,
    `${prefix}/zero_row/Mul`,
    makeUnsqueeze(g, `${prefix}/cols/Unsqueeze`, cols, [0]),
    g.float(0, "float32"),
  );
  const zeroCol = makeMul(
    g,
    `${prefix}/zero_col/Mul`,
    makeUnsqueeze(g, `${prefix}/rows/Unsqueeze`, rows, [1]),
    g.float(0, "float32"),
  );
  const rowGrid = makeAdd(
    g,
    `${prefix}/row_grid/Add`,
    makeUnsqueeze(g, `${prefix}/rows2/Unsqueeze`, rows, [1]),
    zeroRow,
  );
  const colGrid = makeAdd(
    g,
    `${prefix}/col_grid/Add`,
    makeUnsqueeze(g, `${prefix}/cols2/Unsqueeze`, cols, [0]),
    zeroCol,
  );
  const coords = makeConcat(
    g,
    `${prefix}/coords/Concat`,
    [
      makeUnsqueeze(g, `${prefix}/row_grid/Unsqueeze`, rowGrid, [2]),
      makeUnsqueeze(g, `${prefix}/col_grid/Unsqueeze`, colGrid, [2]),
    ],
    2,
  );
  const ordered = makeMergeOrder(g, `${prefix}/merge_order`, coords, grid, config.spatialMergeSize, 2);
  const invFreq = g.makeInitializer(
    `${prefix}/inv_freq`,
    "float32",
    [headDim / 4],
    new Uint8Array(visionInverseFrequencies(headDim).buffer),
  );
  const freqs = makeMul(g, `${prefix}/Mul`, makeUnsqueeze(g, `${prefix}/coords/Unsqueeze`, ordered, [2]), invFreq);
  const flat = makeReshape(g, `${prefix}/Reshape`, freqs, g.int64([-1, headDim / 2]));
  const emb = makeConcat(g, `${prefix}/emb/Concat`, [flat, flat], -1);
  const toFloat = (x: string, n: string) =>
    g.floatType === "float32" ? x : makeCast(g, `${prefix}/${n}/Cast`, x, g.floatType);
  return {
    cos: makeUnsqueeze(g, `${prefix}/cos/Unsqueeze`, toFloat(makeCos(g, `${prefix}/Cos`, emb), "cos"), [1]),
    sin: makeUnsqueeze(g, `${prefix}/sin/Unsqueeze`, toFloat(makeSin(g, `${prefix}/Sin`, emb), "sin"), [1]),
  };
}

/** Attention bias [N, N]: 0 within a frame (h·w patches), the lowest float across frames. */
function makeFrameBias(g: GraphBuilder, patches: string, grid: Grid): string {
  const prefix = "/model/visual/frame_mask";
  const count = makeGather(g, `${prefix}/count/Gather`, makeShape(g, `${prefix}/Shape`, patches), g.int64([0], []));
  const index = makeRange(g, `${prefix}/Range`, g.int64([0], []), count, g.int64([1], []));
  const frame = makeDiv(g, `${prefix}/Div`, index, makeMul(g, `${prefix}/area/Mul`, grid.h, grid.w));
  const same = makeEqual(
    g,
    `${prefix}/Equal`,
    makeUnsqueeze(g, `${prefix}/q/Unsqueeze`, frame, [1]),
    makeUnsqueeze(g, `${prefix}/k/Unsqueeze`, frame, [0]),
  );
  return makeWhere(
    g,
    `${prefix}/Where`,
    same,
    g.float(0),
    g.float(g.floatType === "float16" ? -65504 : -3.4028234663852886e38),
  );
}

/** GELU, exact (erf) or the tanh approximation, from primitive ops. */
function makeGelu(g: GraphBuilder, prefix: string, x: string, approximate: boolean): string {
  const half = makeMul(g, `${prefix}/half/Mul`, x, g.float(0.5));
  if (!approximate) {
    const erf = makeErf(g, `${prefix}/Erf`, makeMul(g, `${prefix}/scale/Mul`, x, g.float(Math.SQRT1_2)));
    return makeMul(g, `${prefix}/Mul`, half, makeAdd(g, `${prefix}/Add`, erf, g.float(1)));
  }
  const cube = makeMul(g, `${prefix}/cube/Mul`, makeMul(g, `${prefix}/square/Mul`, x, x), x);
  const inner = makeAdd(g, `${prefix}/inner/Add`, x, makeMul(g, `${prefix}/cube_scale/Mul`, cube, g.float(0.044715)));
  const tanh = makeTanh(g, `${prefix}/Tanh`, makeMul(g, `${prefix}/scale/Mul`, inner, g.float(Math.sqrt(2 / Math.PI))));
  return makeMul(g, `${prefix}/Mul`, half, makeAdd(g, `${prefix}/Add`, tanh, g.float(1)));
}

/**
 * One vision block with full attention inside each frame.
 *
 *   x ─LayerNorm─qkv─Reshape[N,3,heads,d]─Split─► q,k (RoPE 2-D), v ─Transpose─attention─proj─Add(x)─► x'
 *   x' ─LayerNorm─fc1─GELU─fc2─Add(x')─► out
 */
async function makeVisionBlock(
  g: GraphBuilder,
  loader: WeightLoader,
  config: VisionConfig,
  index: number,
  x: string,
  shared: { cos: string; sin: string; bias: string; attention: AttentionKind },
) {
  const w = `${V}.blocks.${index}`;
  const p = `/model/visual/blocks.${index}`;
  const { hiddenSize, numHeads } = config;
  const headDim = hiddenSize / numHeads;
  const norm1 = makeLayerNorm(
    g,
    `${p}/norm1/LayerNorm`,
    x,
    await loader.tensor(g, `${w}.norm1.weight`),
    await loader.tensor(g, `${w}.norm1.bias`),
    LAYER_NORM_EPS,
  );
  const qkv = await loader.linear(g, `${p}/attn/qkv`, norm1, `${w}.attn.qkv.weight`, `${w}.attn.qkv.bias`);
  const split = makeSplit(
    g,
    `${p}/attn/qkv/Split`,
    makeReshape(g, `${p}/attn/qkv/Reshape`, qkv, g.int64([-1, 3, numHeads, headDim])),
    [1, 1, 1],
    1,
  );
  const [q, k, v] = split.map((part, i) => makeSqueeze(g, `${p}/attn/${"qkv"[i]}/Squeeze`, part, [1]));
  const qr = makeRotary(g, `${p}/attn/q_rotary`, q, shared.cos, shared.sin, headDim);
  const kr = makeRotary(g, `${p}/attn/k_rotary`, k, shared.cos, shared.sin, headDim);
  const merged = makeVisionAttention(g, `${p}/attn`, { q: qr, k: kr, v }, { numHeads, headDim }, shared);
  const proj = await loader.linear(g, `${p}/attn/proj`, merged, `${w}.attn.proj.weight`, `${w}.attn.proj.bias`);
  const afterAttn = makeAdd(g, `${p}/attn/residual/Add`, x, proj);
  const norm2 = makeLayerNorm(
    g,
    `${p}/norm2/LayerNorm`,
    afterAttn,
    await loader.tensor(g, `${w}.norm2.weight`),
    await loader.tensor(g, `${w}.norm2.bias`),
    LAYER_NORM_EPS,
  );
  const fc1 = await loader.linear(
    g,
    `${p}/mlp/linear_fc1`,
    norm2,
    `${w}.mlp.linear_fc1.weight`,
    `${w}.mlp.linear_fc1.bias`,
  );
  const act = makeGelu(g, `${p}/mlp/act_fn`, fc1, config.hiddenAct !== "gelu");
  const fc2 = await loader.linear(
    g,
    `${p}/mlp/linear_fc2`,
    act,
    `${w}.mlp.linear_fc2.weight`,
    `${w}.mlp.linear_fc2.bias`,
  );
  return makeAdd(g, `${p}/mlp/residual/Add`, afterAttn, fc2);
}

/**
 * Patch merger: 2×2 neighbours concatenated, normalised (before the shuffle for the main merger, after it for
 * DeepStack mergers), then fc1 ─GELU─ fc2 to the text hidden size.
 */
async function makeMerger(
  g: GraphBuilder,
  loader: WeightLoader,
  config: VisionConfig,
  weightPrefix: string,
  x: string,
  postShuffleNorm: boolean,
) {
  const p = `/${weightPrefix.replaceAll(".", "/")}`;
  const width = config.hiddenSize * config.spatialMergeSize ** 2;
  // One weight after the other: the order in which weights reach the external data must not hang on read timing.
  const norm = async (t: string) => {
    const scale = await loader.tensor(g, `${weightPrefix}.norm.weight`);
    const bias = await loader.tensor(g, `${weightPrefix}.norm.bias`);
    return makeLayerNorm(g, `${p}/norm/LayerNorm`, t, scale, bias, LAYER_NORM_EPS);
  };
  const shuffle = (t: string) => makeReshape(g, `${p}/Reshape`, t, g.int64([-1, width]));
  const grouped = postShuffleNorm ? await norm(shuffle(x)) : shuffle(await norm(x));
  const fc1 = await loader.linear(
    g,
    `${p}/linear_fc1`,
    grouped,
    `${weightPrefix}.linear_fc1.weight`,
    `${weightPrefix}.linear_fc1.bias`,
  );
  const act = makeGelu(g, `${p}/act_fn`, fc1, false);
  return loader.linear(
    g,
    `${p}/linear_fc2`,
    act,
    `${weightPrefix}.linear_fc2.weight`,
    `${weightPrefix}.linear_fc2.bias`,
  );
}

/**
 * `vision_encoder`: pixel_values [patches, C·T·P·P] and image_grid_thw [1, 3] → image_features
 * [tokens, out·(1+D)] = [merger | deepstack_merger_list.0 | … ]. One image (or video) per call.
 *
 *   pixel_values ─patch_embed(MatMul+Add)─Add(pos_embed)─► blocks 0…depth−1 ─► merger ─┐
 *                                            deepstack taps after blocks in indexes ─► mergers ─┴─Concat─► image_features
 */
export async function buildVisionEncoder(
  g: GraphBuilder,
  loader: WeightLoader,
  config: Qwen3VLConfig,
  attention: AttentionKind = "portable",
): Promise<void> {
  const vision = config.vision;
  const patchWidth = vision.inChannels * vision.temporalPatchSize * vision.patchSize ** 2;
  const pixels = g.makeInput("pixel_values", "float32", ["num_patches", patchWidth]);
  const gridThw = g.makeInput("image_grid_thw", "int64", ["num_images", 3]);
  const first = makeGather(g, "/model/visual/grid/Gather", gridThw, g.int64([0], []));
  const grid: Grid = {
    t: makeGather(g, "/model/visual/grid/t/Gather", first, g.int64([0], [])),
    h: makeGather(g, "/model/visual/grid/h/Gather", first, g.int64([1], [])),
    w: makeGather(g, "/model/visual/grid/w/Gather", first, g.int64([2], [])),
  };
  const input =
    g.floatType === "float32" ? pixels : makeCast(g, "/model/visual/pixel_values/Cast", pixels, g.floatType);
  const patchWeight = `${V}.patch_embed.proj.weight`;
  const hidden = vision.hiddenSize;
  const patchKernel = await loader.transposedInitializer(g, patchWeight, `${patchWeight}.T`, hidden, patchWidth);
  const projected = makeMatMul(g, "/model/visual/patch_embed/proj/MatMul", input, patchKernel);
  const patchBias = await loader.tensor(g, `${V}.patch_embed.proj.bias`);
  const patches = makeAdd(g, "/model/visual/patch_embed/proj/Add", projected, patchBias);
  let x = makeAdd(g, "/model/visual/pos_embed/Add", patches, await makePositionEmbeddings(g, loader, vision, grid));
  const rotary = makeVisionRotary(g, vision, grid);
  const shared = { ...rotary, bias: makeFrameBias(g, pixels, grid), attention };
  const deepstack: string[] = [];
  for (let index = 0; index < vision.depth; index++) {
    x = await makeVisionBlock(g, loader, vision, index, x, shared);
    const level = vision.deepstackVisualIndexes.indexOf(index);
    if (level >= 0)
      deepstack[level] = await makeMerger(g, loader, vision, `${V}.deepstack_merger_list.${level}`, x, true);
  }
  const merged = await makeMerger(g, loader, vision, `${V}.merger`, x, false);
  const packed = makeConcat(g, "/model/visual/features/Concat", [merged, ...deepstack], 1);
  const packed32 = g.floatType === "float32" ? packed : makeCast(g, "/model/visual/features/Cast", packed, "float32");
  const width = vision.outHiddenSize * (1 + vision.deepstackVisualIndexes.length);
  g.makeOutput("image_features", packed32, "float32", ["num_image_tokens", width]);
}
