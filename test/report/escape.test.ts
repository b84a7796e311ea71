import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import {
  assertPlainPath,
  hasControlCharacters,
  oneLine,
} from '../../src/report/escape.js';

/** What the runner would take for a workflow command (actions/runner ActionCommand). */
function startsCommand(line: string): boolean {
  return line.trimStart().startsWith('::') || line.includes('##[');
}

describe('oneLine (security review: log injection)', () => {
  it.each([
    ['/tmp/x\n::warning::pwned', '/tmp/x\\n::warning::pwned'],
    ['a\r\nb', 'a\\r\\nb'],
    ['tab\there', 'tab\\there'],
    ['bell\u0007', 'bell\\x07'],
    ['\u001b[31mred\u001b[0m', '\\x1b[31mred\\x1b[0m'],
    ['del\u007f', 'del\\x7f'],
    ['nel\u0085x', 'nel\\x85x'],
    ['ls\u2028ps\u2029', 'ls\\u2028ps\\u2029'],
    ['bidi\u202eevil', 'bidi\\u202eevil'],
    ['plain text: ok, ünïcode, C:\\dir', 'plain text: ok, ünïcode, C:\\dir'],
  ])('oneLine(%j) is %j', (text, want) => {
    expect(oneLine(text)).toBe(want);
    expect(oneLine(text)).not.toMatch(/[\n\r\u2028\u2029\u0085]/);
  });

  it.each([
    '::warning::pwned',
    '  ::error file=x::pwned',
    '\u00a0::add-mask::x',
    '\n::set-output name=a::b',
    'text ##[warning]legacy',
    '##[group]x',
  ])('oneLine neutralises workflow command %j', (text) => {
    const line = oneLine(text);
    expect(startsCommand(line)).toBe(false);
    expect(line.split('\n')).toHaveLength(1);
  });

  it('oneLine keeps :: that does not start a line', () => {
    expect(oneLine('std::vector and a::b')).toBe('std::vector and a::b');
  });
});

describe('assertPlainPath', () => {
  it('returns a plain path', () => {
    expect(assertPlainPath('/backups/daily', 'destination')).toBe(
      '/backups/daily',
    );
    expect(hasControlCharacters('/backups/daily')).toBe(false);
  });

  it('assertPlainPath refuses a newline naming the input, not echoing the value', () => {
    let err: unknown;
    try {
      assertPlainPath('/tmp/x\n::warning::pwned', 'destination');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigurationError);
    const msg = (err as Error).message;
    expect(msg).toBe(
      "input 'destination' contains a control character (such as a newline) at position 7: give a plain path",
    );
  });

  it.each(['a\rb', 'a\u0000b', 'a\u001bb', 'a\u2028b', 'a\u0085b'])(
    'assertPlainPath refuses %j',
    (v) => expect(() => assertPlainPath(v, 'archive')).toThrow(/'archive'/),
  );
});
