export {};

/**
 * `npm run fixtures`: makes every generated fixture the tests and the app's embedded default need
 * (tiny model, sample imagery), skipping those already up to date. Each step registers itself below.
 */
interface FixtureStep {
  name: string;
  run(): Promise<void>;
}

const steps: FixtureStep[] = [];

for (const step of steps) {
  const started = performance.now();
  await step.run();
  console.log(`fixture ${step.name}: ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
