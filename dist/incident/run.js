// Written by scripts/build.mjs. run() is the incident action and importing this
// file runs nothing: index.js (runs.main) calls run(), and @github/local-action
// takes this file as its entrypoint to drive the action locally
// (`npx @github/local-action run actions/incident <this file> .env`).
import module from 'node:module';
import { nodeTooOld } from '../lib/node-check.js';

/** Runs the pqc-ops incident action with the runner's inputs and outputs. */
export async function run() {
  const old = nodeTooOld('this action');
  if (old) {
    process.stdout.write('::error::' + old + '\n');
    process.exitCode = 1;
    return;
  }
  // The compile cache lets later steps of the same job (and later CLI runs)
  // skip compiling the bundle again; the bundle import must follow it.
  module.enableCompileCache?.();
  const { runAction } = await import('../lib/index.js');
  await runAction("incident");
}
