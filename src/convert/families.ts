import type { ModelFamily } from "./family-types.ts";
import { qwen3VLFamily } from "./qwen3_vl/family.ts";
import { SnapshotError } from "./snapshot-error.ts";

/** Every family the converter knows, keyed by config.json `model_type` (the one registration point). */
export const FAMILIES = new Map<string, ModelFamily>([[qwen3VLFamily.modelType, qwen3VLFamily]]);

/** The family for a config, or an error naming the model_type found and the supported ones. */
export function familyFor(config: Record<string, unknown>, snapshotDir: string): ModelFamily {
  const modelType = config.model_type;
  const family = typeof modelType === "string" ? FAMILIES.get(modelType) : undefined;
  if (!family) {
    throw new SnapshotError(snapshotDir, {
      kind: "not-qwen3vl",
      modelType: typeof modelType === "string" ? modelType : null,
      supported: [...FAMILIES.keys()],
    });
  }
  return family;
}
