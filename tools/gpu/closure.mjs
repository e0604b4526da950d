// Prints the node_modules folders that `roots` need at run time (their dependencies, transitively): what
// tools/gpu/pack.sh carries to the GPU machine.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const roots = process.argv.slice(2);
const seen = new Set();
const visit = (name) => {
  if (seen.has(name)) return;
  const dir = join("node_modules", name);
  if (!existsSync(join(dir, "package.json"))) return; // an optional dependency for another platform
  seen.add(name);
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) visit(dep);
};
for (const root of roots) visit(root);
console.log(
  [...seen]
    .sort()
    .map((name) => join("node_modules", name))
    .join("\n"),
);
