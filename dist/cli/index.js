#!/usr/bin/env node
import { cliMain } from '../lib/index.js';
process.exitCode = await cliMain(process.argv.slice(2), {
  out: (s) => process.stdout.write(s + '\n'),
  err: (s) => process.stderr.write(s + '\n'),
  env: process.env,
});
