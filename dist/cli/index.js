#!/usr/bin/env node
import module from 'node:module';
import { nodeTooOld } from '../lib/node-check.js';

const old = nodeTooOld('the CLI');
if (old) {
  process.stderr.write(old + '\n');
  process.exitCode = 1;
} else {
  module.enableCompileCache?.();
  const { cliProcess } = await import('../lib/index.js');
  process.exitCode = await cliProcess(process.argv.slice(2));
}
