import { Qwen3VLForConditionalGeneration, Tensor } from "@huggingface/transformers";

type LoadOptions = Parameters<typeof Qwen3VLForConditionalGeneration.from_pretrained>[1];

/**
 * The project's Qwen3-VL model class: transformers.js 4.3.1's `Qwen3VLForConditionalGeneration` with the text-only
 * rope delta fixed. Upstream (HF transformers `get_rope_index` without images) continues decode positions at the
 * prompt length: `rope_deltas = max(position) + 1 − S`; transformers.js 4.3.1 returns `max + 1 + S`, so every decode
 * step of a prompt without an image ran 2·S positions too far. Prompts with an image are untouched.
 */
export class GeoZeroQwen3VL extends Qwen3VLForConditionalGeneration {
  /**
   * Loads like `Qwen3VLForConditionalGeneration.from_pretrained`. transformers.js resolves the session layout from
   * a registry keyed by class, which has no entry for subclasses, so the model is built by the registered class and
   * then given this class's behaviour.
   */
  static override async from_pretrained(path: string, options?: LoadOptions): Promise<GeoZeroQwen3VL> {
    const model = await Qwen3VLForConditionalGeneration.from_pretrained(path, options);
    return Object.setPrototypeOf(model, GeoZeroQwen3VL.prototype) as GeoZeroQwen3VL;
  }

  override _get_text_only_rope_index(input_ids: Tensor, attention_mask: Tensor | null): [Tensor, Tensor] {
    const [batch, length] = input_ids.dims;
    const mask = attention_mask?.data as BigInt64Array | undefined;
    const positions = new BigInt64Array(batch * length);
    const deltas = new BigInt64Array(batch);
    for (let b = 0; b < batch; b++) {
      let next = 0n;
      let max = 0n;
      for (let i = 0; i < length; i++) {
        const index = b * length + i;
        const attended = mask?.[index] !== 0n;
        // cumsum(mask) − 1, with padded positions filled with 1, as upstream.
        positions[index] = attended ? next : 1n;
        if (attended) next++;
        if (positions[index] > max) max = positions[index];
      }
      deltas[b] = max + 1n - BigInt(length);
    }
    const rows = new BigInt64Array(3 * positions.length);
    for (let r = 0; r < 3; r++) rows.set(positions, r * positions.length);
    return [new Tensor("int64", rows, [3, batch, length]), new Tensor("int64", deltas, [batch, 1])];
  }
}
