// A procedure bug (a TypeError, a thrown string) run in-process through the
// executor: the record is still written, the failure is one line of kind
// 'error', the stack goes to debug only, and a failure hook that throws
// becomes a warning check instead of crashing the run.
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { executeProcedure, type Execution } from '../../src/execute.js';
import {
  defineProcedure,
  type AnyProcedure,
  type Logger,
  type RunFailure,
} from '../../src/procedure.js';
import { input } from '../../src/inputs/spec.js';
import type { Check } from '../../src/report/step-result.js';

interface Logs {
  info: string[];
  warning: string[];
  error: string[];
  debug: string[];
}

async function execute(
  p: AnyProcedure,
  inputs: Record<string, string> = {},
): Promise<Execution & { logs: Logs; runnerTemp: string }> {
  const runnerTemp = mkdtempSync(join(tmpdir(), 'pqc-ops-hook-'));
  const logs: Logs = { info: [], warning: [], error: [], debug: [] };
  const log: Logger = {
    info: (m) => logs.info.push(m),
    warning: (m) => logs.warning.push(m),
    error: (m) => logs.error.push(m),
    debug: (m) => logs.debug.push(m),
    group: (_n, fn) => fn(),
  };
  const ex = await executeProcedure(p, {
    getInput: (n) => inputs[n] ?? '',
    mask: () => undefined,
    log,
    env: { RUNNER_TEMP: runnerTemp },
  });
  return { ...ex, logs, runnerTemp };
}

/** The record every failed run must leave: result file, report, one failed check, one line. */
function expectRecord(
  ex: Execution & { runnerTemp: string },
  name: string,
  message: string,
): void {
  expect(ex.failureKind).toBe('error');
  expect(ex.failure).toBe(`${name}: ${message}`);
  expect(ex.failure).not.toMatch(/[\r\n]/);
  expect(ex.result.procedure).toBe(name);
  expect(ex.result.status).toBe('failed');
  expect(ex.result.checks[0]).toEqual({
    name: 'error',
    status: 'failed',
    observed: message,
  });
  expect(ex.result.summary).toContain(message);
  // the result file under $RUNNER_TEMP/pqc-ops/results/ and the report
  const resultsDir = join(ex.runnerTemp, 'pqc-ops', 'results');
  expect(ex.resultPath.startsWith(resultsDir)).toBe(true);
  expect(readdirSync(resultsDir)).toHaveLength(1);
  const onDisk = JSON.parse(readFileSync(ex.resultPath, 'utf8')) as {
    status: string;
    checks: Check[];
  };
  expect(onDisk.status).toBe('failed');
  expect(onDisk.checks[0]?.observed).toBe(message);
  expect(existsSync(ex.reportPath)).toBe(true);
  expect(readFileSync(ex.reportPath, 'utf8')).toContain(message);
  expect(ex.markdown).toContain(message);
  // the run's scratch directory is gone
  expect(
    readdirSync(ex.runnerTemp).filter((n) => n.startsWith(`pqc-ops-${name}-`)),
  ).toEqual([]);
}

const buggy = defineProcedure({
  name: 'buggy',
  title: 'A procedure with a bug',
  description: 'Reads a property of undefined.',
  inputs: {
    target: input.string('target', { description: 'Anything.' }),
  },
  outputs: { thing: 'Never set.' },
  // eslint-disable-next-line @typescript-eslint/require-await -- the bug is synchronous inside an async run
  async run(o) {
    // A real bug: the options were assumed to hold `nested`, they do not.
    const deep = (o as typeof o & { nested: { deep: string } }).nested.deep;
    return { result: { status: deep } as never, outputs: { thing: '' } };
  },
});

describe('a procedure bug, run through executeProcedure', () => {
  it('a TypeError: record written, one line of kind error, the stack only at debug', async () => {
    const ex = await execute(buggy, {
      target: 'x',
    });
    const message = "Cannot read properties of undefined (reading 'deep')";
    expectRecord(ex, 'buggy', message);
    expect(ex.outputs).toEqual({ thing: '' });
    // The stack is for debugging, never the visible log.
    expect(ex.logs.debug).toHaveLength(1);
    expect(ex.logs.debug[0]).toMatch(/^TypeError: Cannot read properties/);
    expect(ex.logs.debug[0]).toMatch(/\n\s+at .*failure-hook\.test\.ts/);
    for (const level of ['info', 'warning', 'error'] as const)
      expect(ex.logs[level].join('\n')).not.toMatch(/\bat .*\.ts:\d+/);
    expect(ex.logs.warning).toEqual([]);
    expect(ex.logs.info).toEqual([]);
  });

  it('a thrown string (several lines): its first line is the failure, the whole at debug', async () => {
    const hooked: RunFailure[] = [];
    const thrower = defineProcedure({
      name: 'thrower',
      title: 'Throws a string',
      description: 'Throws a string instead of an Error.',
      inputs: {},
      outputs: {},
      // eslint-disable-next-line @typescript-eslint/require-await -- throws before any await
      async run() {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- the point of the test
        throw 'the vendor library threw a string\nwith a second line';
      },
      // eslint-disable-next-line @typescript-eslint/require-await -- records what it was given
      async onFailure(_o, failure) {
        hooked.push(failure);
        return [{ name: 'hook', status: 'ok', observed: 'ran' }];
      },
    });
    const ex = await execute(thrower);
    expectRecord(ex, 'thrower', 'the vendor library threw a string');
    expect(hooked).toEqual([
      { kind: 'error', message: 'the vendor library threw a string' },
    ]);
    expect(ex.result.checks.map((c) => `${c.name}:${c.status}`)).toEqual([
      'error:failed',
      'hook:ok',
    ]);
    expect(ex.logs.debug).toEqual([
      'the vendor library threw a string\nwith a second line',
    ]);
    expect(ex.logs.info).toEqual([]);
    expect(ex.logs.warning).toEqual([]);
  });

  it('an onFailure hook that itself throws becomes a warning check, not a crash', async () => {
    const brokenHook = defineProcedure({
      name: 'broken-hook',
      title: 'Fails, and so does its hook',
      description: 'A TypeError in run, then the hook throws too.',
      inputs: {},
      outputs: { status: 'healthy or unknown.' },
      failureOutputs: { status: 'unknown' },
      // eslint-disable-next-line @typescript-eslint/require-await -- throws before any await
      async run() {
        throw new TypeError('x.map is not a function');
      },
      // eslint-disable-next-line @typescript-eslint/require-await -- throws before any await
      async onFailure() {
        throw new Error('pushgateway client exploded\nstack of the hook');
      },
    });
    const ex = await execute(brokenHook);
    expectRecord(ex, 'broken-hook', 'x.map is not a function');
    expect(ex.result.checks).toEqual([
      { name: 'error', status: 'failed', observed: 'x.map is not a function' },
      {
        name: 'failure hook',
        status: 'warning',
        observed: 'pushgateway client exploded',
      },
    ]);
    expect(ex.outputs).toEqual({ status: 'unknown' });
    expect(ex.logs.debug).toHaveLength(1);
    expect(ex.logs.debug[0]).toMatch(/^TypeError: x\.map is not a function\n/);
  });
});
