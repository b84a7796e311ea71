#!/usr/bin/env node
import module from 'node:module';
module.enableCompileCache?.();
const { cliMain } = await import('../lib/index.js');
process.exitCode = await cliMain(process.argv.slice(2), {
  out: (s) => process.stdout.write(s + '\n'),
  err: (s) => process.stderr.write(s + '\n'),
  env: process.env,
});
