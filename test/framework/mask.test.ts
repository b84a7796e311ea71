// Secret masking before anything else happens with an input: the whole
// value, and for a multi-line value (a kubeconfig, a key file) each line
// that looks like a credential, so GitHub masks it wherever it shows up.
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import { maskAll } from '../../src/execute.js';
import { readInputs } from '../../src/inputs/read.js';
import { input } from '../../src/inputs/spec.js';

function masked(value: string): string[] {
  const out: string[] = [];
  maskAll((s) => out.push(s), value);
  return out;
}

describe('maskAll', () => {
  it('masks a one-line secret whole, and nothing for a blank one', () => {
    expect(masked('short')).toEqual(['short']);
    expect(masked('a: bcdefghijklmnopqrstuvwxyz')).toEqual([
      'a: bcdefghijklmnopqrstuvwxyz',
    ]);
    expect(masked('')).toEqual([]);
    expect(masked('  \n \t')).toEqual([]);
  });

  it('masks each credential line of a multi-line value, keys and quotes stripped', () => {
    const kubeconfig = [
      'users:',
      '- name: ci',
      '  user:',
      '    token: "eyJhbGciOiJSUzI1NiJ9.payload"',
      "    password: 'correct-horse-battery'",
      '    client-key-data: LS0tLS1CRUdJTiBQUklWQVRF',
      'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC',
      '    short: 123456789012345',
      '    exact: 1234567890123456',
      'nospace:abcdefghijklmnopq',
    ].join('\n');
    expect(masked(kubeconfig)).toEqual([
      kubeconfig,
      'eyJhbGciOiJSUzI1NiJ9.payload',
      'correct-horse-battery',
      'LS0tLS1CRUdJTiBQUklWQVRF',
      'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC',
      '1234567890123456',
      'abcdefghijklmnopq',
    ]);
  });

  it('strips only the first key and one quote at each end', () => {
    expect(masked("x\nkey: a:b:'cdefghijklmnopq'\n")).toEqual([
      "x\nkey: a:b:'cdefghijklmnopq'\n",
      "a:b:'cdefghijklmnopq",
    ]);
    expect(masked('x\n  "\'abcdefghijklmnop\'"  ')).toEqual([
      'x\n  "\'abcdefghijklmnop\'"  ',
      "'abcdefghijklmnop'",
    ]);
  });
});

describe('readInputs masks secrets first', () => {
  const specs = {
    token: input.string('token', { description: 'd', secret: true }),
    kubeconfig: input.string('kubeconfig', {
      description: 'd',
      secret: (raw: string) => raw.includes('\n'),
    }),
    count: input.integer('count', { default: '1', description: 'd', max: 5 }),
    name: input.requiredString('name', {
      default: undefined,
      description: 'd',
    }),
    key: input.integer('key', { default: '1', description: 'd', secret: true }),
  };
  const read = (values: Record<string, string>) => {
    const m: string[] = [];
    let err: unknown;
    try {
      readInputs(
        specs,
        (n) => values[n] ?? '',
        (s) => m.push(s),
      );
    } catch (e) {
      err = e;
    }
    return { m, err };
  };

  it('masks a secret raw (untrimmed) and a predicate secret only when it says so', () => {
    expect(
      read({ token: ' tok-en ', kubeconfig: '/path/kc', name: 'n' }).m,
    ).toEqual([' tok-en ']);
    expect(read({ kubeconfig: 'a\nb', name: 'n' }).m).toEqual(['a\nb']);
    expect(read({ name: 'n' }).m).toEqual([]);
    expect(read({ name: 'n' }).err).toBeUndefined();
  });

  it('never shows a secret in an error, and shows other values', () => {
    const { m, err } = read({ key: 'sekrit-value', count: '99', name: 'n' });
    expect(m).toEqual(['sekrit-value']);
    expect(err).toBeInstanceOf(ConfigurationError);
    const msg = (err as Error).message;
    expect(msg).not.toContain('sekrit');
    expect(msg).toContain("input 'key' has an invalid value (value hidden)");
    expect(msg).toContain('input \'count\' has an invalid value "99"');
    expect(msg).toMatch(/"99" \(out of range\): expected [^;]*; input 'key'/);
  });

  it('cuts a long bad value in its message to 80 characters', () => {
    const long = 'x'.repeat(81);
    const msg = (read({ count: long, name: 'n' }).err as Error).message;
    expect(msg).toContain(`"${'x'.repeat(77)}..."`);
    const exact = 'y'.repeat(80);
    expect((read({ count: exact, name: 'n' }).err as Error).message).toContain(
      `"${exact}"`,
    );
  });

  it('uses the default for a blank value and requires inputs without one', () => {
    const { err } = read({ count: '   ' });
    expect((err as Error).message).toBe(
      "input 'name' is required: give a string",
    );
    expect((err as Error).message).not.toContain("'count'");
  });
});
