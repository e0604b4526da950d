/**
 * `npm run bench [part…]`: runs each benchmark part and prints its figures and ratios.
 * Parts register themselves in `parts.ts`; with no argument every part runs but those that run only when named.
 */
import { benchParts } from "./parts.ts";

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !benchParts.some((part) => part.name === name));
if (unknown.length > 0) {
  console.error(`Unknown bench part(s): ${unknown.join(", ")}. Known: ${benchParts.map((p) => p.name).join(", ")}.`);
  process.exit(2);
}
for (const part of benchParts) {
  if (wanted.length > 0 ? !wanted.includes(part.name) : part.onlyWhenNamed) continue;
  console.log(`\n=== bench: ${part.name} ===`);
  await part.run();
}
