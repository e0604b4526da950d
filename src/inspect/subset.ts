/** Which annotation samples a run in the browser asks: the first N, N at random with a seed, or those filtered. */
import { seededRandom } from "../model/generation/sampling";

export type SubsetChoice =
  | { kind: "first"; count: number }
  | { kind: "random"; count: number; seed: number }
  | { kind: "ids"; ids: string[] };

/** The chosen ids, in annotation order (a run asks in that order whatever the choice). */
export function chooseSubset(allIds: readonly string[], choice: SubsetChoice): string[] {
  switch (choice.kind) {
    case "first":
      return allIds.slice(0, Math.max(0, choice.count));
    case "random": {
      const random = seededRandom(choice.seed);
      const positions = allIds.map((_, i) => i);
      for (let i = positions.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [positions[i], positions[j]] = [positions[j], positions[i]];
      }
      return positions
        .slice(0, Math.max(0, choice.count))
        .sort((a, b) => a - b)
        .map((i) => allIds[i]);
    }
    case "ids": {
      const wanted = new Set(choice.ids);
      return allIds.filter((id) => wanted.has(id));
    }
  }
}
