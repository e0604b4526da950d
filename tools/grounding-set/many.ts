/** A large results file made from the grounding set's records: for the 50 MB streaming test and the Inspect bench. */
import type { SampleRecord } from "../../src/eval/record-format";

/**
 * `count` records cycling through `records`, each with its own id and index, and `thinkChars` characters of reasoning
 * before its recorded output (real think blocks run to thousands of characters). One JSONL string.
 */
export function manyRecordsJsonl(records: readonly SampleRecord[], count: number, thinkChars = 0): string {
  const sentence = "The scene shows fields, roofs and a road; I compare them with the description. ";
  const think = sentence.repeat(Math.ceil(thinkChars / sentence.length)).slice(0, thinkChars);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const base = records[i % records.length];
    const score = base.score === null ? null : Math.min(1, Math.max(0, base.score + ((i * 7919) % 200) / 1000 - 0.1));
    lines.push(
      JSON.stringify({ ...base, id: `${i}:${base.image}`, index: i, score, raw_output: `${think}${base.raw_output}` }),
    );
  }
  return `${lines.join("\n")}\n`;
}
