import { expect, test } from "@playwright/test";
import {
  beamsInNode,
  cropExactly,
  cropPng,
  lastRunResult,
  loadModel,
  startAsking,
  waitForRunEnd,
} from "./support/model";

const QUESTION = "Describe this scene.";
const VOCAB = 151936;

test("beam search on WebGPU keeps the KV cache on the GPU: the same beams as Node, only logits cross per step", async ({
  page,
}) => {
  test.setTimeout(480_000);
  await page.goto("/");
  await cropExactly(page, 64, 64);
  const png = await cropPng(page);
  expect(await loadModel(page, "webgpu")).toContain("ready on webgpu (q4)");
  await startAsking(page, { decoding: "beam", maxNewTokens: 4, systemPrompt: false, question: QUESTION });
  await waitForRunEnd(page, 400_000);
  await expect(page.getByTestId("run-stats")).toContainText("Done");
  const result = await lastRunResult(page);
  expect(result.tokenIds).toEqual(await beamsInNode(png, QUESTION, 4));
  // Five beams a step, each step gathering the cache by row on the device: five rows of float32 logits cross.
  const { decodeBytesToCpu, decodeSteps } = result.transfers;
  expect(decodeSteps).toBeGreaterThan(0);
  expect(decodeBytesToCpu).toBe(decodeSteps * 5 * VOCAB * 4);
});
