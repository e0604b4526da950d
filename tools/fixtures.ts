import { spawn } from "node:child_process";

/**
 * `npm run fixtures`: makes every generated fixture the tests and the app's embedded default need
 * (tiny model, sample imagery), skipping those already up to date. Each step registers itself below.
 */
interface FixtureStep {
  name: string;
  run(): Promise<void>;
}

const steps: FixtureStep[] = [
  {
    name: "sample imagery (public/sample/synthetic-sample.pmtiles)",
    run: () => runScript("tools/sample-imagery/cli.ts"),
  },
  {
    name: "tiny demo model (model-cache/geozero-tiny)",
    run: () => runScript("tools/tiny-model/cli.ts"),
  },
  {
    name: "grounding set for the Inspect view (fixtures/grounding-set)",
    run: () => runScript("tools/grounding-set/cli.ts"),
  },
];

/** Runs a tool script in its own process, as `npm run` would. */
function runScript(script: string, args: string[] = []): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, ...args], { stdio: "inherit" });
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${script} exited with code ${code}.`))));
  });
}

for (const step of steps) {
  const started = performance.now();
  await step.run();
  console.log(`fixture ${step.name}: ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
