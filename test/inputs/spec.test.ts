import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import { actionMetadata } from '../../src/inputs/action-yml.js';
import { readInputs } from '../../src/inputs/read.js';
import { input } from '../../src/inputs/spec.js';
import { procedures } from '../../src/procedures/registry.js';

const specs = {
  url: input.url('health-url', { description: 'd' }),
  timeout: input.duration('timeout', { default: '10s', description: 'd' }),
  token: input.string('token', { description: 'd', secret: true }),
  mode: input.enumeration('mode', ['plan', 'apply'] as const, {
    default: 'plan',
    description: 'd',
  }),
  replicas: input.integer('replicas', {
    default: undefined,
    description: 'd',
    max: 10,
  }),
};

function read(values: Record<string, string>, masked: string[] = []) {
  return readInputs(
    specs,
    (n) => values[n] ?? '',
    (s) => masked.push(s),
  );
}

describe('readInputs', () => {
  it('applies defaults and parses types', () => {
    const o = read({ replicas: '3' });
    expect(o).toEqual({
      url: undefined,
      timeout: 10_000,
      token: undefined,
      mode: 'plan',
      replicas: 3,
    });
  });

  it('reports every bad input at once, naming each and its accepted form', () => {
    let err: unknown;
    try {
      read({ timeout: '10 parsecs', mode: 'yolo', 'health-url': 'ftp://x' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigurationError);
    const msg = (err as Error).message;
    expect(msg).toContain(
      'input \'timeout\' has an invalid value "10 parsecs"',
    );
    expect(msg).toContain('a duration such as 30s, 5m, 24h or 7d');
    expect(msg).toContain("input 'mode'");
    expect(msg).toContain('one of plan, apply');
    expect(msg).toContain("input 'health-url'");
    expect(msg).toContain("input 'replicas' is required");
  });

  it('masks secrets before parsing and never echoes them', () => {
    const masked: string[] = [];
    read({ token: 's3cr3t-value', replicas: '1' }, masked);
    expect(masked).toEqual(['s3cr3t-value']);
  });
});

describe('action.yml files', () => {
  const root = new URL('../..', import.meta.url).pathname;
  const dirs = readdirSync(join(root, 'actions'));

  it('exist for exactly the registered procedures', () => {
    expect(dirs.sort()).toEqual(Object.keys(procedures).sort());
  });

  it.each(dirs)(
    '%s declares exactly the inputs, defaults and outputs of its procedure',
    (name) => {
      const yml = parse(
        readFileSync(join(root, 'actions', name, 'action.yml'), 'utf8'),
      );
      const want = actionMetadata(procedures[name]);
      expect(yml.inputs).toEqual(want['inputs']);
      expect(yml.outputs).toEqual(want['outputs']);
      expect(yml.runs).toEqual({
        using: 'node24',
        main: `../../dist/${name}/index.js`,
      });
      for (const i of Object.values(
        yml.inputs as Record<string, { description: string }>,
      )) {
        expect(i.description.length).toBeGreaterThan(10);
      }
    },
  );
});
