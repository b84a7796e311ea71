// Change control's guards, run in process against a recording mutation:
// what each mode does and does not do, the Lease taken and always released,
// the plan that does not fit this run, drift, the confirmation, the plan
// file's permissions, the summary's plan table and the outputs.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigurationError, RefusedError } from '../../src/errors.js';
import {
  changeControlInputs,
  changeControlOutputs,
  changeControlValues,
  checkPlanInput,
  PLAN_OUTPUT_MAX,
  runChangeControlled,
  type ChangeControlInput,
  type Mutation,
} from '../../src/plan/change-control.js';
import {
  serializePlan,
  type Plan,
  type PlannedChange,
} from '../../src/plan/plan.js';
import { ResultBuilder } from '../../src/report/step-result.js';

const root = mkdtempSync(join(tmpdir(), 'pqc-ops-cc-guards-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const planDir = () => join(root, `plans-${n++}`, 'nested');

const change = (object: string, i = 0): PlannedChange => ({
  object,
  action: `scale ${i}`,
  reason: 'asked',
  undo: 'scale back',
});

/** A mutation that records every call; `live` is the live version of "obj". */
function recorder(
  o: {
    changes?: PlannedChange[];
    live?: string;
    target?: Plan['target'];
    lock?: boolean;
  } = {},
) {
  const calls: string[] = [];
  const m: Mutation = {
    procedure: 'scale',
    target: o.target ?? { server: 'https://k8s.example', replicas: 3 },
    makePlan: () => {
      calls.push('makePlan');
      return Promise.resolve({
        basis: [{ object: 'obj', versionKind: 'generation', version: '1' }],
        changes: o.changes ?? [change('obj')],
      });
    },
    liveState: () => {
      calls.push('liveState');
      return Promise.resolve([
        { object: 'obj', versionKind: 'generation', version: o.live ?? '1' },
      ]);
    },
    execute: (_p, skip) => {
      calls.push(`execute(${skip.size})`);
      return Promise.resolve();
    },
    verify: () => {
      calls.push('verify');
      return Promise.resolve();
    },
  };
  if (o.lock !== false)
    m.lock = () => {
      calls.push('lock');
      return Promise.resolve(() => {
        calls.push('release');
        return Promise.resolve();
      });
    };
  return { m, calls };
}

const rb = () =>
  new ResultBuilder('scale', () => new Date('2026-11-26T15:00:00Z'));
const cc = (
  mode: ChangeControlInput['mode'],
  plan?: string,
  planSha256?: string,
) => ({
  mode,
  plan,
  planSha256,
});

async function makePlan(o: Parameters<typeof recorder>[0] = {}) {
  const r = recorder(o);
  const out = await runChangeControlled(r.m, cc('plan'), rb(), {
    planDir: planDir(),
    givenInputs: { replicas: '3', mode: 'plan', plan: 'x', 'plan-sha256': 'y' },
  });
  return { ...out, calls: r.calls };
}

describe('mode plan', () => {
  it('plans, stores and shows; takes no lock and changes nothing', async () => {
    const b = rb();
    const r = recorder();
    const dir = planDir();
    const out = await runChangeControlled(r.m, cc('plan'), b, {
      planDir: dir,
      givenInputs: {
        replicas: '3',
        mode: 'plan',
        plan: 'p',
        'plan-sha256': 's',
      },
    });
    expect(r.calls).toEqual(['makePlan']);
    expect(out.applied).toBe(false);
    expect(out.plan.inputs).toEqual({ replicas: '3' });
    expect(out.plan).toMatchObject({
      apiVersion: 'pqc-ops/v1',
      kind: 'Plan',
      procedure: 'scale',
      target: { server: 'https://k8s.example', replicas: 3 },
    });
    expect(out.planFile).toBe(
      join(dir, `scale-plan-${out.sha256.slice(0, 12)}.json`),
    );
    expect(readFileSync(out.planFile, 'utf8')).toBe(
      serializePlan(out.plan, out.sha256) + '\n',
    );
    expect(statSync(out.planFile).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(b.details).toHaveLength(1);
    expect(b.details[0]).toContain(
      `#### Plan \`${out.sha256.slice(0, 12)}\` (1 change)`,
    );
    expect(b.details[0]).toContain('| obj | scale 0 | asked | scale back |');
    expect(b.checks).toEqual([
      {
        name: 'plan',
        status: 'ok',
        observed: `1 change(s), sha256 ${out.sha256.slice(0, 12)}`,
      },
    ]);
  });
});

describe('mode auto', () => {
  it('plans and applies under the lock without a drift check', async () => {
    const r = recorder();
    const out = await runChangeControlled(r.m, cc('auto'), rb(), {
      planDir: planDir(),
      givenInputs: {},
    });
    expect(out.applied).toBe(true);
    expect(r.calls).toEqual([
      'makePlan',
      'lock',
      'execute(0)',
      'verify',
      'release',
    ]);
  });

  it('an empty plan takes no lock and runs nothing', async () => {
    const r = recorder({ changes: [] });
    const b = rb();
    const out = await runChangeControlled(r.m, cc('auto'), b, {
      planDir: planDir(),
      givenInputs: {},
    });
    expect(out.applied).toBe(false);
    expect(r.calls).toEqual(['makePlan']);
    expect(b.details[0]).toContain('Nothing to change.');
  });

  it('releases the lock when execute or verify fails', async () => {
    for (const step of ['execute', 'verify'] as const) {
      const r = recorder();
      r.m[step] = () => {
        r.calls.push(step);
        return Promise.reject(new Error(`${step} broke`));
      };
      await expect(
        runChangeControlled(r.m, cc('auto'), rb(), {
          planDir: planDir(),
          givenInputs: {},
        }),
      ).rejects.toThrow(`${step} broke`);
      expect(r.calls.at(-1)).toBe('release');
    }
  });

  it('runs without a lock when the mutation has none', async () => {
    const r = recorder({ lock: false });
    const out = await runChangeControlled(r.m, cc('auto'), rb(), {
      planDir: planDir(),
      givenInputs: {},
    });
    expect(out.applied).toBe(true);
    expect(r.calls).toEqual(['makePlan', 'execute(0)', 'verify']);
  });
});

describe('mode apply', () => {
  it('applies the approved plan after the drift check, under the lock', async () => {
    const p = await makePlan();
    const r = recorder();
    const b = rb();
    const out = await runChangeControlled(
      r.m,
      cc('apply', p.planFile, p.sha256),
      b,
      {
        planDir: planDir(),
        givenInputs: {},
      },
    );
    expect(out.applied).toBe(true);
    expect(out.sha256).toBe(p.sha256);
    expect(out.plan).toEqual(p.plan);
    expect(r.calls).toEqual([
      'lock',
      'liveState',
      'execute(0)',
      'verify',
      'release',
    ]);
    expect(b.checks.map((c) => [c.name, c.status])).toEqual([
      ['plan', 'ok'],
      ['drift', 'ok'],
    ]);
  });

  it('refuses a plan made for another target before taking the lock', async () => {
    const p = await makePlan();
    const r = recorder({
      target: { server: 'https://k8s.example', replicas: 5 },
    });
    await expect(
      runChangeControlled(r.m, cc('apply', p.planFile), rb(), {
        planDir: planDir(),
        givenInputs: {},
      }),
    ).rejects.toThrow(
      new RefusedError(
        'the plan does not fit this run (replicas: the plan has 3, this run 5): apply it with the inputs it was made with, or make and approve a new plan',
      ),
    );
    expect(r.calls).toEqual([]);
  });

  it('refuses on drift, changes nothing, and releases the lock', async () => {
    const p = await makePlan();
    const r = recorder({ live: '2' });
    const b = rb();
    await expect(
      runChangeControlled(r.m, cc('apply', p.planFile), b, {
        planDir: planDir(),
        givenInputs: {},
      }),
    ).rejects.toThrow(
      'the live state drifted since the plan was approved: obj changed (generation 1 -> 2). Make and approve a new plan.',
    );
    expect(r.calls).toEqual(['lock', 'liveState', 'release']);
    expect(b.checks.at(-1)).toEqual({
      name: 'drift',
      status: 'failed',
      observed: '1 object(s) changed since the plan',
      detail: 'obj changed (generation 1 -> 2)',
    });
  });

  it('an approved empty plan applies nothing', async () => {
    const p = await makePlan({ changes: [] });
    const r = recorder({ changes: [] });
    const out = await runChangeControlled(r.m, cc('apply', p.planFile), rb(), {
      planDir: planDir(),
      givenInputs: {},
    });
    expect(out.applied).toBe(false);
    expect(r.calls).toEqual([]);
  });

  it('checkPlanInput checks the plan in mode apply only', async () => {
    const p = await makePlan();
    expect(() => checkPlanInput(cc('apply', undefined), 'scale')).toThrow(
      ConfigurationError,
    );
    expect(() =>
      checkPlanInput(cc('apply', p.planFile, 'f'.repeat(64)), 'scale'),
    ).toThrow(/not the approved one/);
    expect(() => checkPlanInput(cc('apply', p.planFile), 'restore')).toThrow(
      /made by scale/,
    );
    expect(
      checkPlanInput(cc('apply', p.planFile, p.sha256), 'scale'),
    ).toBeUndefined();
    for (const mode of ['plan', 'auto'] as const)
      expect(checkPlanInput(cc(mode, 'garbage'), 'scale')).toBeUndefined();
  });
});

describe('confirmation', () => {
  it('asks after the drift check, shows the changes, and a no changes nothing', async () => {
    const changes = Array.from({ length: 22 }, (_, i) => change('obj', i));
    const p = await makePlan({ changes });
    const r = recorder({ changes });
    const asked: string[] = [];
    await expect(
      runChangeControlled(r.m, cc('apply', p.planFile), rb(), {
        planDir: planDir(),
        givenInputs: {},
        confirm: (q) => {
          asked.push(q);
          r.calls.push('confirm');
          return Promise.resolve(false);
        },
      }),
    ).rejects.toThrow(
      new RefusedError('the apply was not confirmed: nothing was changed'),
    );
    expect(r.calls).toEqual(['lock', 'liveState', 'confirm', 'release']);
    const lines = (asked[0] ?? '').split('\n');
    expect(lines[0]).toBe(
      'Drift check: the live state matches the plan (1 object(s) read).',
    );
    expect(lines[1]).toBe('  obj: scale 0 (undo: scale back)');
    expect(lines).toHaveLength(23);
    expect(lines[20]).toBe('  obj: scale 19 (undo: scale back)');
    expect(lines[21]).toBe('  ... and 2 more');
    expect(lines[22]).toBe(
      `Apply plan ${p.sha256.slice(0, 12)} of scale (22 changes) to https://k8s.example?`,
    );
  });

  it('auto mode says there was no drift check; yes applies', async () => {
    const r = recorder({ target: { replicas: 1 } });
    const asked: string[] = [];
    const out = await runChangeControlled(r.m, cc('auto'), rb(), {
      planDir: planDir(),
      givenInputs: {},
      confirm: (q) => {
        asked.push(q);
        return Promise.resolve(true);
      },
    });
    expect(out.applied).toBe(true);
    expect(asked[0]).toBe(
      [
        'Drift check: none (a plan made in this run).',
        '  obj: scale 0 (undo: scale back)',
        `Apply plan ${out.sha256.slice(0, 12)} of scale (1 change) to the target?`,
      ].join('\n'),
    );
  });
});

describe('outputs', () => {
  it('are empty before a plan exists', () => {
    expect(changeControlValues(undefined)).toEqual({
      plan: '',
      'plan-sha256': '',
      'plan-file': '',
      applied: 'false',
    });
  });

  it('carry the plan JSON, or its file when the JSON is over the limit', async () => {
    const p = await makePlan();
    expect(changeControlValues({ ...p, applied: true })).toEqual({
      plan: serializePlan(p.plan, p.sha256),
      'plan-sha256': p.sha256,
      'plan-file': p.planFile,
      applied: 'true',
    });
    const json = serializePlan(p.plan, p.sha256);
    const fit = {
      ...p.plan,
      createdAt: p.plan.createdAt + 'x'.repeat(PLAN_OUTPUT_MAX - json.length),
    };
    expect(serializePlan(fit, p.sha256)).toHaveLength(PLAN_OUTPUT_MAX);
    expect(changeControlValues({ ...p, plan: fit, applied: false }).plan).toBe(
      serializePlan(fit, p.sha256),
    );
    const over = { ...fit, createdAt: fit.createdAt + 'x' };
    expect(changeControlValues({ ...p, plan: over, applied: false }).plan).toBe(
      p.planFile,
    );
  });
});

describe('declarations', () => {
  it('every mutating procedure has the inputs mode (default plan), plan and plan-sha256, described', () => {
    const inputs = Object.values(changeControlInputs);
    expect(inputs.map((i) => [i.name, i.default])).toEqual([
      ['mode', 'plan'],
      ['plan', ''],
      ['plan-sha256', ''],
    ]);
    expect(changeControlInputs.mode.parse('auto')).toBe('auto');
    expect(() => changeControlInputs.mode.parse('yolo')).toThrow();
    for (const i of inputs) expect(i.description).toMatch(/^\S.{30,}/);
    expect(Object.keys(changeControlOutputs)).toEqual([
      'plan',
      'plan-sha256',
      'plan-file',
      'applied',
    ]);
    for (const d of Object.values(changeControlOutputs))
      expect(d).toMatch(/^\S.{20,}/);
  });
});

describe('several differences and moved objects', () => {
  it('are listed, separated by semicolons', async () => {
    const p = await makePlan();
    const r = recorder({
      target: { server: 'https://other.example', replicas: 4 },
    });
    await expect(
      runChangeControlled(r.m, cc('apply', p.planFile), rb(), {
        planDir: planDir(),
        givenInputs: {},
      }),
    ).rejects.toThrow(
      'the plan does not fit this run (replicas: the plan has 3, this run 4; server: the plan has "https://k8s.example", this run "https://other.example")',
    );
  });

  it('drift of several objects, refused or skipped', async () => {
    const objects = Array.from({ length: 22 }, (_, i) => `o${i}`);
    const basis = (v: string, skip: boolean) =>
      objects.map((object) => ({
        object,
        versionKind: 'value' as const,
        version: v,
        ...(skip ? { onDrift: 'skip' as const } : {}),
      }));
    for (const skip of [false, true]) {
      const r = recorder({ changes: objects.map((o) => change(o)) });
      r.m.makePlan = () =>
        Promise.resolve({
          basis: basis('1', skip),
          changes: objects.map((o) => change(o)),
        });
      const made = await runChangeControlled(r.m, cc('plan'), rb(), {
        planDir: planDir(),
        givenInputs: {},
      });
      r.m.liveState = () => Promise.resolve(basis('2', skip));
      const b = rb();
      const run = runChangeControlled(r.m, cc('apply', made.planFile), b, {
        planDir: planDir(),
        givenInputs: {},
      });
      const why = objects.map((o) => `${o} changed (value 1 -> 2)`);
      if (!skip) {
        await expect(run).rejects.toThrow(
          `the live state drifted since the plan was approved: ${why.join('; ')}. Make and approve a new plan.`,
        );
        expect(b.checks.at(-1)?.detail).toBe(why.join('; '));
      } else {
        expect((await run).applied).toBe(true);
        expect(b.checks.at(-1)).toEqual({
          name: 'drift',
          status: 'warning',
          observed:
            '22 object(s) changed since the plan: their changes are skipped, the rest applied',
          detail: why.slice(0, 20).join('; '),
        });
        expect(r.calls).toContain('execute(22)');
      }
    }
  });

  it('no drift is reported as such', async () => {
    const p = await makePlan();
    const b = rb();
    await runChangeControlled(recorder().m, cc('apply', p.planFile), b, {
      planDir: planDir(),
      givenInputs: {},
    });
    expect(b.checks.at(-1)).toEqual({
      name: 'drift',
      status: 'ok',
      observed: 'live state matches the plan',
    });
  });
});
