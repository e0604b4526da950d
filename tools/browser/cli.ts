/**
 * `npm run find-browser`, the first step of `npm test`: finds the browser for the browser tests (see ./find.ts),
 * installs one when there is none, and otherwise stops with one line naming the command to run.
 */
import { spawn } from "node:child_process";
import { ensureBrowser, machineHost, type RunStep } from "./find";

const runStep: RunStep = ([command, ...args]) =>
  new Promise((resolve) => {
    const child = spawn(command, args, {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    child.on("error", () => resolve(127));
    child.on("exit", (code) => resolve(code ?? 1));
  });

const result = await ensureBrowser(machineHost(), runStep, (line) => console.log(line));
if (!result.found) {
  console.error(result.message);
  process.exit(1);
}
console.log(`Browser for the browser tests: ${result.path} (${result.source}).`);
