/* eslint-disable @typescript-eslint/no-explicit-any -- plain JSON in assertions */
import { describe, expect, it } from 'vitest';
import {
  applyPatch,
  mergePatch,
  PATCH_TYPES,
  strategicMerge,
} from './patch.js';
import { imageID } from './controllers/pod-status.js';
import { findByPlural } from './registry.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front', env: 'prod' };
  it.each([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app in (web,db)', true],
    ['app in (db)', false],
    ['app notin (db, cache)', true],
    ['app notin (web)', false],
    ['tier', true],
    ['!tier', false],
    ['!missing', true],
    ['app=web,tier=front,env in (prod)', true],
    ['app=web,tier=back', false],
  ])('%j -> %s', (sel, want) => {
    expect(parseLabelSelector(sel)(labels)).toBe(want);
  });
  it('rejects garbage', () => {
    expect(() => parseLabelSelector('a b c')).toThrow(
      /unable to parse requirement/,
    );
  });
});

describe('field selectors', () => {
  const pods = findByPlural('', 'v1', 'pods')!;
  const pod = {
    metadata: { name: 'p', namespace: 'n' },
    spec: { nodeName: 'x' },
    status: { phase: 'Running' },
  };
  it.each([
    ['metadata.name=p', true],
    ['metadata.name!=p', false],
    ['metadata.namespace=n,status.phase=Running', true],
    ['spec.nodeName=y', false],
    ['status.phase!=Pending', true],
  ])('%j -> %s', (sel, want) => {
    expect(parseFieldSelector(sel, pods)(pod)).toBe(want);
  });
  it('rejects unknown fields with the apiserver text', () => {
    expect(() => parseFieldSelector('spec.foo=1', pods)).toThrow(
      'field label not supported: spec.foo',
    );
  });
});

describe('patches', () => {
  it('merge patch removes nulls and replaces lists', () => {
    expect(
      mergePatch(
        { a: 1, b: { c: 2, d: 3 }, l: [1, 2] },
        { b: { c: null }, l: [3] },
      ),
    ).toEqual({ a: 1, b: { d: 3 }, l: [3] });
  });

  it('strategic merge merges containers, env, volumeMounts and ports by key', () => {
    const cur = {
      containers: [
        {
          name: 'a',
          image: 'x:1',
          env: [{ name: 'E', value: '1' }],
          volumeMounts: [{ name: 'v', mountPath: '/d' }],
          ports: [{ containerPort: 80 }],
        },
        { name: 'b', image: 'y:1' },
      ],
      volumes: [{ name: 'v', emptyDir: {} }],
    };
    const out: any = strategicMerge(cur, {
      '$setElementOrder/containers': [{ name: 'a' }],
      containers: [
        {
          name: 'a',
          env: [{ name: 'F', value: '2' }],
          volumeMounts: [{ mountPath: '/d', readOnly: true }],
          ports: [{ containerPort: 443 }],
        },
        { name: 'b', $patch: 'delete' },
      ],
      volumes: [{ name: 'w', emptyDir: {} }],
    });
    expect(out.containers).toHaveLength(1);
    expect(out.containers[0].image).toBe('x:1');
    expect(out.containers[0].env.map((e: any) => e.name)).toEqual(['E', 'F']);
    expect(out.containers[0].volumeMounts).toEqual([
      { name: 'v', mountPath: '/d', readOnly: true },
    ]);
    expect(out.containers[0].ports.map((p: any) => p.containerPort)).toEqual([
      80, 443,
    ]);
    expect(out.volumes.map((v: any) => v.name)).toEqual(['v', 'w']);
  });

  it('strategic $patch: replace replaces a map', () => {
    expect(
      strategicMerge({ m: { a: 1, b: 2 } }, { m: { $patch: 'replace', c: 3 } }),
    ).toEqual({ m: { c: 3 } });
  });

  it('json patch: object body -> 400, failing test -> 422; SMP on custom resources -> 415', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e: any) {
        return e.code as number;
      }
      return 0;
    };
    expect(code(() => applyPatch(PATCH_TYPES.json, {}, { a: 1 }, false))).toBe(
      400,
    );
    expect(
      code(() =>
        applyPatch(
          PATCH_TYPES.json,
          { a: 1 },
          [{ op: 'test', path: '/a', value: 2 }],
          false,
        ),
      ),
    ).toBe(422);
    expect(code(() => applyPatch(PATCH_TYPES.strategic, {}, {}, true))).toBe(
      415,
    );
    expect(
      applyPatch(
        PATCH_TYPES.json,
        { a: 1 },
        [{ op: 'replace', path: '/a', value: 2 }],
        false,
      ),
    ).toEqual({ a: 2 });
  });
});

describe('container imageID', () => {
  const d = 'sha256:' + 'ab'.repeat(32);
  it.each([
    [`ghcr.io/org/app@${d}`, `ghcr.io/org/app@${d}`],
    [`ghcr.io/org/app:1.5@${d}`, `ghcr.io/org/app@${d}`],
    [`registry:5000/app@${d}`, `registry:5000/app@${d}`],
    [`postgres@${d}`, `docker.io/library/postgres@${d}`],
  ])('%s pinned by digest reports that digest', (image, want) =>
    expect(imageID(image)).toBe(want),
  );
  it('a tag gets a stable digest of its own, on the repository without the tag', () => {
    expect(imageID('registry:5000/app:1.2')).toMatch(
      /^registry:5000\/app@sha256:[a-f0-9]{64}$/,
    );
    expect(imageID('postgres:15')).toBe(imageID('postgres:15'));
    expect(imageID('postgres:15')).not.toBe(imageID('postgres:16'));
  });
});
