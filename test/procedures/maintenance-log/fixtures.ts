import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Status, StepResult } from '../../../src/report/step-result.js';

/** A StepResult as a procedure would persist it; `at` is minutes after 05:00. */
export function result(
  procedure: string,
  status: Status,
  at: number,
  more: Partial<StepResult> = {},
): StepResult {
  const t = (m: number) =>
    new Date(Date.UTC(2025, 4, 6, 5, 0, 0) + m * 60_000).toISOString();
  return {
    procedure,
    status,
    summary: `${procedure} ${status}`,
    startedAt: t(at),
    endedAt: t(at + 1),
    target: { namespace: 'pqc-audit' },
    checks: [{ name: 'main', status, observed: `${procedure} observed` }],
    changes: [],
    metrics: {},
    artifacts: [],
    followUps: [],
    details: [],
    ...more,
  };
}

/** A health record with the checks the log's pre-maintenance status reads. */
export function healthResult(at: number, status: Status = 'ok'): StepResult {
  return result('health', status, at, {
    summary: status === 'ok' ? 'healthy' : 'unhealthy',
    checks: [
      { name: 'http', status, observed: 'HTTP 200 in 12 ms' },
      { name: 'cpu', status: 'ok', observed: '12% of limit' },
      { name: 'memory', status: 'ok', observed: '40% of limit' },
    ],
  });
}

/** Writes results as the executor does (`<stamp>-<procedure>.json`) into `dir`. */
export function writeResults(dir: string, results: StepResult[]): string[] {
  mkdirSync(dir, { recursive: true });
  return results.map((r, i) => {
    const file = join(
      dir,
      `${r.endedAt.replace(/[:.]/g, '-')}-${i}-${r.procedure}.json`,
    );
    writeFileSync(file, JSON.stringify(r, null, 2));
    return file;
  });
}

/** This job's results folder under a RUNNER_TEMP. */
export function jobResults(runnerTemp: string): string {
  return join(runnerTemp, 'pqc-ops', 'results');
}
