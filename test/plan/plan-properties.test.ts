// plan.ts in process: the plan's hash is stable under key order at every
// level (fast-check), every check of loadPlan on its own, the artifact
// directory, the size limit, drift details, and the summary table.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigurationError, RefusedError } from '../../src/errors.js';
import {
  canonicalJson,
  loadPlan,
  movedObjects,
  PLAN_MAX_BYTES,
  planSha256,
  renderPlan,
  serializePlan,
  targetDifferences,
  type Plan,
} from '../../src/plan/plan.js';

const root = mkdtempSync(join(tmpdir(), 'pqc-ops-plan-props-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const dir = () => {
  const d = join(root, `d${n++}`);
  mkdirSync(d);
  return d;
};

const plan: Plan = {
  apiVersion: 'pqc-ops/v1',
  kind: 'Plan',
  procedure: 'scale',
  target: {
    server: 'https://k8s.example',
    namespaces: ['pqc-audit'],
    replicas: 5,
  },
  createdAt: '2026-11-26T15:00:00.000Z',
  basis: [{ object: 'd', uid: 'u1', versionKind: 'generation', version: '4' }],
  changes: [
    {
      object: 'd',
      action: 'scale 3 -> 5',
      reason: 'r',
      undo: 'scale back to 3',
    },
  ],
};

/** The same value with the keys of every object in another order. */
function shuffled(v: unknown, rnd: () => number): unknown {
  if (Array.isArray(v)) return v.map((x) => shuffled(x, rnd));
  if (v && typeof v === 'object') {
    const keys = Object.keys(v).sort(() => rnd() - 0.5);
    return Object.fromEntries(
      keys.map((k) => [k, shuffled((v as Record<string, unknown>)[k], rnd)]),
    );
  }
  return v;
}

describe('plan hashing', () => {
  it('is stable under key order at every level, and ignores a sha256 field', () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.jsonValue(),
        fc.integer(),
        (params, extra, seed) => {
          let s = seed;
          const rnd = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
          const p = {
            ...plan,
            target: { ...plan.target, extra },
            changes: [{ ...plan.changes[0], params: { params } }],
          } as Plan;
          const q = shuffled(p, rnd) as Plan;
          expect(canonicalJson(q)).toBe(canonicalJson(p));
          expect(planSha256(q)).toBe(planSha256(p));
          expect(planSha256({ ...q, sha256: 'x' } as Plan)).toBe(planSha256(p));
        },
      ),
    );
  });

  it('changes with any change of content', () => {
    fc.assert(
      fc.property(fc.string(), (action) => {
        fc.pre(action !== plan.changes[0]?.action);
        const other = {
          ...plan,
          changes: [{ ...plan.changes[0], action }],
        } as Plan;
        expect(planSha256(other)).not.toBe(planSha256(plan));
      }),
    );
  });

  it('canonical JSON sorts keys and drops undefined ones', () => {
    expect(
      canonicalJson({ b: 1, a: [{ d: undefined, c: null }], e: undefined }),
    ).toBe('{"a":[{"c":null}],"b":1}');
    expect(canonicalJson('x')).toBe('"x"');
    expect(canonicalJson(null)).toBe('null');
    expect(planSha256(plan)).toMatch(/^[0-9a-f]{64}$/);
  });
});

function loadError(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('not refused');
}

describe('loadPlan, each check', () => {
  const text = serializePlan(plan);
  const doc = () => JSON.parse(text) as Record<string, unknown>;
  const resealed = (d: Record<string, unknown>) => {
    const { sha256: _s, ...rest } = d;
    return JSON.stringify({
      ...rest,
      sha256: planSha256(rest as unknown as Plan),
    });
  };

  it.each([
    [
      'blank',
      '  ',
      ConfigurationError,
      "input 'plan' is required for mode apply",
    ],
    ['not JSON', '{nope', ConfigurationError, "input 'plan' is not valid JSON"],
    [
      'an empty object',
      '{}',
      ConfigurationError,
      "input 'plan' is not a pqc-ops plan (kind Plan, apiVersion pqc-ops/v1)",
    ],
    [
      'another kind',
      resealed({ ...doc(), kind: 'Other' }),
      ConfigurationError,
      'is not a pqc-ops plan',
    ],
    [
      'another apiVersion',
      resealed({ ...doc(), apiVersion: 'pqc-ops/v2' }),
      ConfigurationError,
      'is not a pqc-ops plan',
    ],
    [
      'changes not a list',
      resealed({ ...doc(), changes: {} }),
      ConfigurationError,
      'is not a pqc-ops plan',
    ],
    [
      'basis not a list',
      resealed({ ...doc(), basis: 'x' }),
      ConfigurationError,
      'is not a pqc-ops plan',
    ],
    [
      'another procedure',
      resealed({ ...doc(), procedure: 'restore' }),
      ConfigurationError,
      "input 'plan' was made by restore, not scale",
    ],
    [
      'no sha256',
      JSON.stringify({ ...doc(), sha256: undefined }),
      RefusedError,
      'the plan has no sha256 field',
    ],
    [
      'an empty sha256',
      JSON.stringify({ ...doc(), sha256: '' }),
      RefusedError,
      'the plan has no sha256 field',
    ],
    [
      'a numeric sha256',
      JSON.stringify({ ...doc(), sha256: 5 }),
      RefusedError,
      'the plan has no sha256 field',
    ],
    [
      'an edit',
      JSON.stringify({ ...doc(), createdAt: 'now' }),
      RefusedError,
      `the plan was modified after it was made: its content hashes to`,
    ],
  ])('refuses %s', (_, raw, type, message) => {
    const e = loadError(() => loadPlan(raw, 'scale'));
    expect(e).toBeInstanceOf(type);
    expect(e.message).toContain(message);
  });

  it('takes the approved sha256 trimmed, and ignores a blank one', () => {
    const sha = planSha256(plan);
    expect(loadPlan(` ${text} `, 'scale', ` ${sha}\n`)).toEqual(plan);
    expect(loadPlan(text, 'scale', '  ')).toEqual(plan);
    expect(
      loadError(() => loadPlan(text, 'scale', 'a'.repeat(64))).message,
    ).toBe(
      `the plan is not the approved one: sha256 ${sha}, approved ${'a'.repeat(64)}`,
    );
  });

  it('names every change without a basis', () => {
    const p = {
      ...plan,
      changes: [
        ...plan.changes,
        { ...plan.changes[0], object: 'x' },
        { ...plan.changes[0], object: 'y' },
      ],
    } as Plan;
    const e = loadError(() => loadPlan(serializePlan(p), 'scale'));
    expect(e).toBeInstanceOf(RefusedError);
    expect(e.message).toBe(
      'the plan changes x, y without recording its live state (basis), so drift cannot be checked',
    );
  });

  it('reads a plan file, or the one plan file of an artifact directory', () => {
    const d = dir();
    const file = join(d, `scale-plan-${planSha256(plan).slice(0, 12)}.json`);
    writeFileSync(file, text);
    expect(loadPlan(file, 'scale')).toEqual(plan);
    writeFileSync(join(d, 'notes.json'), '{}');
    writeFileSync(join(d, 'scale-plan-abc.json'), '{}');
    writeFileSync(join(d, 'scale-plan-0123456789ab.json.bak'), '{}');
    expect(loadPlan(d, 'scale')).toEqual(plan);
    writeFileSync(join(d, 'restore-plan-0123456789ab.json'), text);
    expect(loadError(() => loadPlan(d, 'scale')).message).toBe(
      `input 'plan': ${d} is a directory with 2 plan files; give the plan file itself`,
    );
    const empty = dir();
    const e = loadError(() => loadPlan(empty, 'scale'));
    expect(e).toBeInstanceOf(ConfigurationError);
    expect(e.message).toBe(
      `input 'plan': ${empty} is a directory with 0 plan files; give the plan file itself`,
    );
  });

  it('refuses a file that is no regular file, or too big', () => {
    const e = loadError(() => loadPlan('/dev/null', 'scale'));
    expect(e).toBeInstanceOf(ConfigurationError);
    expect(e.message).toBe(
      "input 'plan': /dev/null is not a regular file: give the plan file a plan run wrote",
    );
    const big = join(dir(), 'big.json');
    writeFileSync(big, `{${' '.repeat(PLAN_MAX_BYTES)}}`);
    const b = loadError(() => loadPlan(big, 'scale'));
    expect(b).toBeInstanceOf(ConfigurationError);
    expect(b.message).toContain(`input 'plan': ${big}`);
    expect(b.message).not.toContain('is not a regular file');
    const nul = join(dir(), 'null.json');
    writeFileSync(nul, 'null');
    const e2 = loadError(() => loadPlan(nul, 'scale'));
    expect(e2).toBeInstanceOf(ConfigurationError);
    expect(e2.message).toContain("input 'plan' is not a pqc-ops plan");
    const none = loadError(() => loadPlan(undefined, 'scale'));
    expect(none).toBeInstanceOf(ConfigurationError);
    expect(none.message).toBe(
      "input 'plan' is required for mode apply: give the plan JSON or the path of the plan file",
    );
  });

  it('the size limit applies to inline JSON too, at the byte', () => {
    const inline = `{${' '.repeat(PLAN_MAX_BYTES - Buffer.byteLength(text))}${text.slice(1)}`;
    expect(Buffer.byteLength(inline)).toBe(PLAN_MAX_BYTES);
    expect(loadPlan(inline, 'scale')).toEqual(plan);
    const over = `{é${inline.slice(2)}`;
    const e = loadError(() => loadPlan(over, 'scale'));
    expect(e).toBeInstanceOf(ConfigurationError);
    expect(e.message).toBe(
      `input 'plan' is over the ${PLAN_MAX_BYTES}-byte limit of a plan`,
    );
  });
});

describe('drift details', () => {
  const b = plan.basis[0];
  it('compares uids only when both are known, and shows the states that moved', () => {
    expect(movedObjects([b], [{ ...b, uid: undefined }])).toEqual([]);
    expect(
      movedObjects([{ ...b, uid: undefined }], [{ ...b, uid: 'u9' }]),
    ).toEqual([]);
    expect(movedObjects([b], [{ ...b, uid: 'u2', version: '9' }])[0]?.why).toBe(
      'd was deleted and recreated (uid u1 -> u2)',
    );
    expect(
      movedObjects(
        [{ ...b, state: 'revision 3' }],
        [{ ...b, version: '5', state: 'revision 4' }],
      )[0]?.why,
    ).toBe('d changed (generation 4 -> 5; revision 3 -> revision 4)');
    expect(
      movedObjects(
        [{ ...b, state: 'same' }],
        [{ ...b, version: '5', state: 'same' }],
      )[0]?.why,
    ).toBe('d changed (generation 4 -> 5)');
    expect(
      movedObjects([{ ...b, state: 's' }], [{ ...b, version: '5' }])[0]?.why,
    ).toBe('d changed (generation 4 -> 5)');
    expect(movedObjects([b], [{ ...b, state: 'other' }])).toEqual([]);
    expect(
      movedObjects([b], [{ ...b, version: '5', state: 'new' }])[0]?.why,
    ).toBe('d changed (generation 4 -> 5)');
    const moved = movedObjects([b, { ...b, object: 'e' }], [b]);
    expect(moved).toEqual([
      { ref: { ...b, object: 'e' }, why: 'e no longer exists' },
    ]);
  });

  it('target differences treat a missing key as null', () => {
    expect(targetDifferences({ a: 1 }, { a: 1, b: undefined })).toEqual([]);
    expect(
      targetDifferences({ a: { y: 1, x: 2 } }, { a: { x: 2, y: 1 } }),
    ).toEqual([]);
    expect(targetDifferences({ b: 1, a: 1 }, {})).toEqual([
      'a: the plan has 1, this run null',
      'b: the plan has 1, this run null',
    ]);
  });
});

describe('renderPlan', () => {
  it('shows the changes as a table, with the sha256 and the basis', () => {
    const sha = 'f'.repeat(64);
    expect(renderPlan(plan, sha)).toBe(
      [
        '#### Plan `ffffffffffff` (1 change)',
        '',
        '| Object | Action | Reason | Undo |',
        '| --- | --- | --- | --- |',
        '| d | scale 3 -> 5 | r | scale back to 3 |',
        '',
        `<sub>sha256 ${sha}; computed 2026-11-26T15:00:00.000Z from 1 object(s) read live</sub>`,
      ].join('\n'),
    );
    const two = {
      ...plan,
      changes: [...plan.changes, ...plan.changes],
      basis: [],
    };
    expect(renderPlan(two, sha)).toMatch(
      /^#### Plan `ffffffffffff` \(2 changes\)\n/,
    );
    expect(renderPlan(two, sha)).toContain('from 0 object(s) read live');
    expect(renderPlan({ ...plan, changes: [] }, sha)).toBe(
      [
        '#### Plan `ffffffffffff` (0 changes)',
        '',
        'Nothing to change.',
        '',
        `<sub>sha256 ${sha}; computed 2026-11-26T15:00:00.000Z from 1 object(s) read live</sub>`,
      ].join('\n'),
    );
  });
});
