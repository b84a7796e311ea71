import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as p from '../../src/inputs/parsers.js';
import { readInputs } from '../../src/inputs/read.js';
import { input } from '../../src/inputs/spec.js';

const INJECTION = '/tmp/x\n::warning::pwned';

describe('path inputs with control characters (security review: log injection)', () => {
  it.each([
    INJECTION,
    '/tmp/x\r::error::pwned',
    '/tmp/a\u001b[31mred',
    '/tmp/a\u2028b',
    '/tmp/a\u0085b',
    '/tmp/a\u0000b',
  ])('parsePath refuses %j', (raw) =>
    expect(() => p.parsePath(raw)).toThrow(/control character/),
  );

  it.each(['/tmp/x', 'relative/dir', 'C:\\backups\\x', '/srv/ünïcode dir/a b'])(
    'parsePath keeps the plain path %j',
    (raw) => expect(p.parsePath(raw)).toBe(raw),
  );

  it('input.path refuses a newline, and the message is one line without a command', () => {
    const specs = {
      archive: input.path('archive', { description: 'd' }),
    };
    let msg = '';
    try {
      readInputs(
        specs,
        () => INJECTION,
        () => undefined,
      );
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toContain("input 'archive' has an invalid value");
    expect(msg).toContain('control character');
    expect(msg).not.toMatch(/[\n\r]/);
    expect(msg).toContain('"/tmp/x\\n::warning::pwned"');
  });

  it('input.directory refuses a newline even before looking for the directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'path-'));
    const specs = {
      dir: input.directory('backup-dir', { description: 'd' }),
    };
    const get = (v: string) => () => v;
    expect(readInputs(specs, get(dir), () => undefined).dir).toBe(dir);
    expect(() =>
      readInputs(specs, get(`${dir}\n::warning::x`), () => undefined),
    ).toThrow(/input 'backup-dir'.*control character/);
  });

  it('an invalid value shown in a message has its C1 and separator characters escaped', () => {
    const specs = { n: input.integer('n', { default: '1', description: 'd' }) };
    const e = (() => {
      try {
        readInputs(
          specs,
          () => '1\u2028::warning::x\u0085',
          () => undefined,
        );
      } catch (x) {
        return x as Error;
      }
      throw new Error('expected an error');
    })();
    expect(e.message).toContain('"1\\u2028::warning::x\\x85"');
  });
});
