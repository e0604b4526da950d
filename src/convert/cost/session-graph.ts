import { familyFor } from "../families.ts";
import type { AttentionKind } from "../family-types.ts";
import { GraphBuilder } from "../graph/builder.ts";
import { DEFAULT_CHUNK_BYTES, ExternalDataWriter } from "../graph/external-data.ts";
import { type OutputDtype, PlanningLoader, PRECISIONS } from "../graph/weights.ts";
import type { Checkpoint } from "../safetensors/read.ts";
import { type GraphView, graphViewOfBytes } from "./graph-view.ts";

/**
 * One session's graph exactly as the converter writes it, built from the config and the checkpoint's tensor list
 * alone (no weights read: its weights are planned, their sizes exact), as the cost counter reads it.
 */
export async function plannedSessionGraph(
  config: Record<string, unknown>,
  checkpoint: Pick<Checkpoint, "tensors">,
  session: string,
  dtype: OutputDtype,
  attention: AttentionKind,
): Promise<GraphView> {
  const family = familyFor(config, "the snapshot");
  const spec = family.prepare(config, { attention, visionAttention: attention }).find((s) => s.name === session);
  if (!spec) throw new Error(`The ${family.modelType} family has no session "${session}".`);
  const precision = PRECISIONS[dtype];
  const planner = new PlanningLoader(checkpoint as Checkpoint, precision);
  const g = new GraphBuilder(
    spec.name,
    new ExternalDataWriter(null, `${session}.onnx`, DEFAULT_CHUNK_BYTES),
    precision.floatType,
  );
  await spec.build(g, planner);
  return graphViewOfBytes(g.encode());
}
