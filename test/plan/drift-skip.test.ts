// Per-object drift policy: an object of the basis marked onDrift 'skip' that
// moved since the plan has its changes skipped and reported, the rest
// applied; any other object that moved refuses the whole plan.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RefusedError } from '../../src/errors.js';
import {
  runChangeControlled,
  type Mutation,
} from '../../src/plan/change-control.js';
import type { StateRef } from '../../src/plan/plan.js';
import { ResultBuilder } from '../../src/report/step-result.js';

const dir = mkdtempSync(join(tmpdir(), 'pqc-ops-drift-skip-'));

function ref(object: string, version: string, skip: boolean): StateRef {
  return {
    object,
    versionKind: 'value',
    version,
    ...(skip ? { onDrift: 'skip' as const } : {}),
  };
}

/** A mutation over three objects whose live versions the test sets. */
function mutation(live: Record<string, string>, executed: string[][]) {
  const basis = [
    ref('file a', '1', true),
    ref('file b', '1', true),
    ref('pod p', '1', false),
  ];
  const m: Mutation = {
    procedure: 'test',
    target: { server: 'x' },
    makePlan: () =>
      Promise.resolve({
        basis,
        changes: ['file a', 'file b'].map((object) => ({
          object,
          action: 'delete',
          reason: 'old',
          undo: 'none',
        })),
      }),
    liveState: () =>
      Promise.resolve(
        basis
          .filter((b) => live[b.object] !== undefined)
          .map((b) => ({ ...b, version: live[b.object] ?? '' })),
      ),
    execute: (plan, skip) => {
      executed.push(
        plan.changes.filter((c) => !skip.has(c.object)).map((c) => c.object),
        [...skip.keys()],
      );
      return Promise.resolve();
    },
    verify: () => Promise.resolve(),
  };
  return m;
}

async function planThenApply(live: Record<string, string>) {
  const executed: string[][] = [];
  const rb = new ResultBuilder('test', () => new Date());
  const p = await runChangeControlled(
    mutation(live, executed),
    { mode: 'plan', plan: undefined, planSha256: undefined },
    rb,
    { planDir: dir, givenInputs: {} },
  );
  const a = await runChangeControlled(
    mutation(live, executed),
    { mode: 'apply', plan: p.planFile, planSha256: p.sha256 },
    rb,
    { planDir: dir, givenInputs: {} },
  );
  return { executed, rb, applied: a.applied };
}

describe('drift of objects marked onDrift skip', () => {
  it('skips only the moved object, reports it, and applies the rest', async () => {
    const r = await planThenApply({
      'file a': '2',
      'file b': '1',
      'pod p': '1',
    });
    expect(r.applied).toBe(true);
    expect(r.executed).toEqual([['file b'], ['file a']]);
    expect(r.rb.checks.find((c) => c.name === 'drift')).toMatchObject({
      status: 'warning',
      observed:
        '1 object(s) changed since the plan: their changes are skipped, the rest applied',
      detail: 'file a changed (value 1 -> 2)',
    });
  });

  it('a gone object marked skip is skipped too', async () => {
    const r = await planThenApply({ 'file b': '1', 'pod p': '1' });
    expect(r.executed).toEqual([['file b'], ['file a']]);
  });

  it('an object without the mark that moved still refuses the whole plan', async () => {
    await expect(
      planThenApply({ 'file a': '2', 'file b': '1', 'pod p': '2' }),
    ).rejects.toThrow(RefusedError);
    await expect(
      planThenApply({ 'file a': '1', 'file b': '1', 'pod p': '2' }),
    ).rejects.toThrow(
      /the live state drifted since the plan was approved: pod p changed \(value 1 -> 2\)\./,
    );
  });

  it('nothing moved: the drift check is ok and nothing is skipped', async () => {
    const r = await planThenApply({
      'file a': '1',
      'file b': '1',
      'pod p': '1',
    });
    expect(r.executed).toEqual([['file a', 'file b'], []]);
    expect(r.rb.checks.find((c) => c.name === 'drift')?.status).toBe('ok');
  });
});
