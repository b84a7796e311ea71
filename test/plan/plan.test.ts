import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigurationError, RefusedError } from '../../src/errors.js';
import {
  drift,
  loadPlan,
  planSha256,
  serializePlan,
  type Plan,
} from '../../src/plan/plan.js';

const plan: Plan = {
  apiVersion: 'pqc-ops/v1',
  kind: 'Plan',
  procedure: 'scale',
  target: { server: 'https://k8s.example', namespaces: ['pqc-audit'] },
  createdAt: '2026-11-26T15:00:00.000Z',
  basis: [
    {
      object: 'Deployment pqc-audit/pqc-audit',
      uid: 'u1',
      versionKind: 'generation',
      version: '4',
    },
  ],
  changes: [
    {
      object: 'Deployment pqc-audit/pqc-audit',
      action: 'scale 3 -> 5',
      reason: 'r',
      undo: 'scale back to 3',
    },
  ],
};

describe('plans', () => {
  it('hash is stable under key order and changes with content', () => {
    const { changes, basis, createdAt, target, procedure, kind, apiVersion } =
      plan;
    const reordered: Plan = {
      changes,
      basis,
      createdAt,
      target,
      procedure,
      kind,
      apiVersion,
    };
    expect(Object.keys(reordered)).toEqual(Object.keys(plan).reverse());
    expect(planSha256(reordered)).toBe(planSha256(plan));
    expect(
      planSha256({ ...plan, createdAt: '2026-11-26T15:00:01.000Z' }),
    ).not.toBe(planSha256(plan));
  });

  it('round-trips through JSON and a file', () => {
    const text = serializePlan(plan);
    expect(loadPlan(text, 'scale')).toEqual(plan);
    const f = join(mkdtempSync(join(tmpdir(), 'plan-')), 'p.json');
    writeFileSync(f, text);
    expect(loadPlan(f, 'scale', planSha256(plan))).toEqual(plan);
  });

  it('refuses a plan edited after it was made', () => {
    const doc = JSON.parse(serializePlan(plan));
    doc.changes[0].action = 'scale 3 -> 50';
    expect(() => loadPlan(JSON.stringify(doc), 'scale')).toThrow(RefusedError);
    expect(() => loadPlan(JSON.stringify(doc), 'scale')).toThrow(
      /modified after it was made/,
    );
  });

  it('refuses a plan other than the approved one', () => {
    expect(() =>
      loadPlan(serializePlan(plan), 'scale', 'f'.repeat(64)),
    ).toThrow(/not the approved one/);
  });

  it('refuses input that is not a plan of this procedure', () => {
    expect(() => loadPlan('', 'scale')).toThrow(ConfigurationError);
    expect(() => loadPlan('{"kind":"Other"}', 'scale')).toThrow(
      /not a pqc-ops plan/,
    );
    expect(() => loadPlan(serializePlan(plan), 'restore')).toThrow(
      /made by scale, not restore/,
    );
    expect(() => loadPlan('/no/such/plan.json', 'scale')).toThrow(/no file at/);
  });

  it('drift lists what changed, vanished or was recreated', () => {
    const b = plan.basis[0];
    expect(drift(plan.basis, [b])).toEqual([]);
    expect(drift(plan.basis, [{ ...b, version: '5' }])).toEqual([
      'Deployment pqc-audit/pqc-audit changed (generation 4 -> 5)',
    ]);
    expect(drift(plan.basis, [{ ...b, uid: 'u2' }])[0]).toContain(
      'deleted and recreated',
    );
    expect(drift(plan.basis, [])[0]).toContain('no longer exists');
  });
});
