// The plan checks change control relies on: a plan must carry its sha256,
// record the live state of everything it changes, and fit this run's target.
import { describe, expect, it } from 'vitest';
import { RefusedError } from '../../src/errors.js';
import {
  loadPlan,
  planSha256,
  serializePlan,
  targetDifferences,
  type Plan,
} from '../../src/plan/plan.js';

const plan: Plan = {
  apiVersion: 'pqc-ops/v1',
  kind: 'Plan',
  procedure: 'restore',
  target: {
    server: 'https://k8s.example',
    namespaces: ['pqc-audit'],
    database: 'pqc_audit',
    components: ['database'],
    archive: '/backups/a.tar.age',
  },
  createdAt: '2026-11-26T15:00:00.000Z',
  basis: [
    {
      object: 'database pqc_audit',
      versionKind: 'sha256',
      version: 'a'.repeat(64),
    },
  ],
  changes: [
    {
      object: 'database pqc_audit',
      action: 'replace',
      reason: 'restore',
      undo: 'restore the safety backup',
    },
  ],
};

/** Throws the refusal, returning its message (one line). */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RefusedError);
    const m = (e as Error).message;
    expect(m).not.toMatch(/[\r\n]/);
    return m;
  }
  throw new Error('not refused');
}

describe('plan change control', () => {
  it('an edited plan with its sha256 field deleted is refused', () => {
    const doc = JSON.parse(serializePlan(plan));
    doc.changes[0].action = 'drop everything';
    delete doc.sha256;
    expect(refusal(() => loadPlan(JSON.stringify(doc), 'restore'))).toMatch(
      /the plan has no sha256 field/,
    );
    // Not even an unedited one without its sha256 passes.
    const plain = JSON.parse(serializePlan(plan));
    delete plain.sha256;
    expect(refusal(() => loadPlan(JSON.stringify(plain), 'restore'))).toMatch(
      /no sha256 field/,
    );
    expect(loadPlan(serializePlan(plan), 'restore')).toEqual(plan);
  });

  it('a plan with an empty basis (sha256 recomputed) is refused: drift cannot be checked', () => {
    const unbased: Plan = { ...plan, basis: [] };
    const text = serializePlan(unbased);
    expect(JSON.parse(text).sha256).toBe(planSha256(unbased));
    expect(refusal(() => loadPlan(text, 'restore', planSha256(unbased)))).toBe(
      'the plan changes database pqc_audit without recording its live state (basis), so drift cannot be checked',
    );
    // A basis naming something else does not cover the change either.
    const other: Plan = {
      ...plan,
      basis: [
        { object: 'database other', versionKind: 'sha256', version: 'b' },
      ],
    };
    expect(refusal(() => loadPlan(serializePlan(other), 'restore'))).toMatch(
      /changes database pqc_audit without recording its live state/,
    );
  });

  it('a plan made for another target or with other parameters names each differing key', () => {
    expect(targetDifferences(plan.target, { ...plan.target })).toEqual([]);
    expect(
      targetDifferences(plan.target, {
        ...plan.target,
        server: 'https://other.example',
        namespaces: ['staging'],
        components: ['database', 'config'],
        appdataPath: '/data',
      }),
    ).toEqual([
      'appdataPath: the plan has null, this run "/data"',
      'components: the plan has ["database"], this run ["database","config"]',
      'namespaces: the plan has ["pqc-audit"], this run ["staging"]',
      'server: the plan has "https://k8s.example", this run "https://other.example"',
    ]);
    expect(targetDifferences({ replicas: 5 }, { replicas: 1 })).toEqual([
      'replicas: the plan has 5, this run 1',
    ]);
  });
});
