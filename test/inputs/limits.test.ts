// Boundary tables for every limit an input parser enforces (the value at the
// limit accepted, one step past it refused), and parse(print(x)) = x for
// durations and sizes, checked over generated values with fast-check.
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import * as p from '../../src/inputs/parsers.js';

const refuses = (fn: () => unknown, why: string | RegExp) =>
  expect(fn).toThrow(why);

describe('durations', () => {
  it('parse(format(ms)) = ms for any whole number of milliseconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 13 }), (ms) => {
        expect(p.parseDuration(p.formatDuration(ms))).toBe(ms);
      }),
    );
  });

  it('sums every term of a compound duration, each unit its size', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 10_000 }),
            fc.constantFrom('ms', 's', 'm', 'h', 'd', 'w'),
          ),
          { minLength: 1, maxLength: 6 },
        ),
        (terms) => {
          const size = {
            ms: 1,
            s: 1e3,
            m: 6e4,
            h: 3.6e6,
            d: 8.64e7,
            w: 6.048e8,
          };
          const want = terms.reduce((t, [n, u]) => t + n * size[u], 0);
          expect(
            p.parseDuration(terms.map(([n, u]) => `${n}${u}`).join('')),
          ).toBe(want);
        },
      ),
    );
  });

  it.each([
    [0, '0ms'],
    [999, '999ms'],
    [1000, '1s'],
    [1500, '1500ms'],
    [60_000, '1m'],
    [90_000, '90s'],
    [3_600_000, '1h'],
    [86_400_000, '1d'],
    [604_800_000, '7d'],
    [9 * 604_800_000, '63d'],
    [10 * 604_800_000, '10w'],
    [11 * 604_800_000, '11w'],
    [10 * 604_800_000 + 86_400_000, '71d'],
  ])('formats %d ms as %s', (ms, text) =>
    expect(p.formatDuration(ms)).toBe(text),
  );

  it('accepts a fraction and surrounding blanks, refuses blanks inside', () => {
    expect(p.parseDuration(' 1.5s ')).toBe(1500);
    expect(p.parseDuration('1.25s')).toBe(1250);
    expect(p.parseDuration('0.5h')).toBe(1_800_000);
    refuses(() => p.parseDuration('1 s'), 'not a duration');
    refuses(() => p.parseDuration('   '), 'not a duration');
    refuses(() => p.parseDuration('1.s'), 'not a duration');
    refuses(() => p.parseDuration('5s5'), 'not a duration');
  });

  it('refuses a duration too big to be a number', () => {
    refuses(() => p.parseDuration(`${'9'.repeat(400)}w`), 'not a duration');
  });

  it('bounds are inclusive, and the refusal names them', () => {
    expect(p.parseDurationWithin('1s', 1000, 60_000)).toBe(1000);
    expect(p.parseDurationWithin('1m', 1000, 60_000)).toBe(60_000);
    refuses(
      () => p.parseDurationWithin('999ms', 1000, 60_000),
      'out of range: give from 1s to 1m',
    );
    refuses(
      () => p.parseDurationWithin('60001ms', 1000, 60_000),
      'out of range: give from 1s to 1m',
    );
  });
});

describe('percentages: 0 < p <= 1000', () => {
  it.each([
    ['0.001', 0.001],
    ['1000', 1000],
    ['1000%', 1000],
    [' 7 % ', 7],
    ['7 %', 7],
  ])('accepts %j', (raw, v) => expect(p.parsePercent(raw)).toBe(v));
  it.each(['0', '0.0', '1000.1', '1001%', '', '%', 'x80', '80x', '.5'])(
    'refuses %j',
    (raw) => refuses(() => p.parsePercent(raw), 'not a percentage'),
  );
});

describe('sizes', () => {
  const units: [string, number][] = [
    ['', 1],
    ['b', 1],
    ['k', 1e3],
    ['kb', 1e3],
    ['m', 1e6],
    ['mb', 1e6],
    ['g', 1e9],
    ['gb', 1e9],
    ['t', 1e12],
    ['tb', 1e12],
    ['ki', 1024],
    ['kib', 1024],
    ['mi', 1024 ** 2],
    ['mib', 1024 ** 2],
    ['gi', 1024 ** 3],
    ['gib', 1024 ** 3],
    ['ti', 1024 ** 4],
    ['tib', 1024 ** 4],
  ];

  it('parse(`${n}${unit}`) = n * unit in any letter case, with or without a blank', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.constantFrom(...units),
        fc.boolean(),
        fc.boolean(),
        (n, [unit, size], upper, blank) => {
          const u = upper ? unit.toUpperCase() : unit;
          expect(p.parseSize(`${n}${blank ? ' ' : ''}${u}`)).toBe(n * size);
        },
      ),
    );
  });

  it('rounds a fraction to whole bytes', () => {
    expect(p.parseSize(' 10k ')).toBe(10_000);
    expect(p.parseSize('1.5')).toBe(2);
    expect(p.parseSize('0.4')).toBe(0);
    expect(p.parseSize('1.0005k')).toBe(1001);
  });

  it.each(['', 'k', '1x', '1 k b', '1pb', '-1', '1e3', 'x1k'])(
    'refuses %j',
    (raw) => refuses(() => p.parseSize(raw), 'not a size'),
  );
});

describe('Kubernetes names: DNS-1123 subdomains', () => {
  const label = (n: number) => 'a'.repeat(n);
  it.each([
    ['253 characters', [label(63), label(63), label(63), label(61)].join('.')],
    ['a 63-character label', `${label(63)}.b`],
    ['digits', '0'],
    ['inner dash', 'a-b'],
    ['blanks around', ' ab '],
  ])('accepts %s', (_, raw) => expect(p.parseKubeName(raw)).toBe(raw.trim()));
  it.each([
    ['254 characters', [label(63), label(63), label(63), label(62)].join('.')],
    ['a 64-character label', `b.${label(64)}`],
    ['a bad first label', 'A.b'],
    ['a bad last label', 'a.-b'],
    ['a trailing dot', 'a.'],
    ['blank', '  '],
  ])('refuses %s', (_, raw) =>
    refuses(() => p.parseKubeName(raw), 'not a Kubernetes name'),
  );
});

describe('label selectors: every term validated', () => {
  it.each([
    'a=b, c!=d , e==f',
    'a in (x,y), b',
    'a in ()',
    'a notin (x, y)',
    '! a',
    'x.y/z=1',
    'k=',
    'a = b',
    'a  in (x)',
    'a in(x)',
    'example.com/name=x',
  ])('accepts %j', (raw) => expect(p.parseLabelSelector(raw)).toBe(raw.trim()));
  it.each([
    ['a bad first term', '-a=b,c=d'],
    ['a bad middle term', 'a=b,c=-d,e=f'],
    ['a bad last term', 'a=b,c=d,e=-f'],
    ['a bad bare key', '-a'],
    ['a bad negated key', '!-a'],
    ['a bad key before =', 'a_=b'],
    ['a bad value in a set', 'a in (x, -y)'],
    ['a bad key before in', '-a in (x)'],
    ['an unclosed set', 'a in (x'],
    ['a bad prefix', 'A_/b=c'],
    ['a blank term', 'a=b,,c=d'],
    ['a negated equality', '!a=b'],
    ['a negated set', '!a in (x)'],
    ['text after a set', 'a in (x)y'],
  ])('refuses %s', (_, raw) => refuses(() => p.parseLabelSelector(raw), /bad/));
  it('names the bad term', () => {
    refuses(() => p.parseLabelSelector('a=b, c=-d'), 'bad term "c=-d"');
    refuses(() => p.parseLabelSelector('-x'), 'bad key in "-x"');
    refuses(() => p.parseLabelSelector(' '), 'empty selector');
  });
  it('splits on commas outside parentheses only', () => {
    expect(p.parseLabelSelector('a in (x,y),b notin (z)')).toBe(
      'a in (x,y),b notin (z)',
    );
    refuses(() => p.parseLabelSelector('a in (x,(y)),b'), /bad term/);
  });
});

describe('paths', () => {
  it('keeps a path as given, refusing blanks and control characters', () => {
    expect(p.parsePath(' /a b ')).toBe(' /a b ');
    refuses(() => p.parsePath('  '), 'empty path');
    refuses(() => p.parsePath('/a\nb'), 'control character');
    refuses(() => p.parsePath('/a\u0085b'), 'control character');
  });

  it.each([
    ['/data', '/data'],
    ['/data/', '/data'],
    ['//data//x/', '/data/x'],
    [' /var/lib/app ', '/var/lib/app'],
    ['/procs', '/procs'],
    ['/data/proc', '/data/proc'],
    ['/a/..b', '/a/..b'],
  ])('container directory %j -> %j', (raw, dir) =>
    expect(p.parseContainerDir(raw)).toBe(dir),
  );
  it.each([
    ['data', 'not an absolute path'],
    ['/', '/ is refused'],
    ['///', '/ is refused'],
    ['/a/../b', '. or .. segment'],
    ['/a/./b', '. or .. segment'],
    ['/..', '. or .. segment'],
    ['/proc', '/proc is a kernel filesystem'],
    ['/sys/x', '/sys is a kernel filesystem'],
    ['/dev/', '/dev is a kernel filesystem'],
    ['/a\tb', 'control character'],
  ])('refuses container directory %j', (raw, why) =>
    refuses(() => p.parseContainerDir(raw), why),
  );
});

describe('other forms', () => {
  it('URLs: http and https only, trimmed', () => {
    expect(p.parseHttpUrl(' http://x.example:8080/a ').href).toBe(
      'http://x.example:8080/a',
    );
    expect(p.parseHttpUrl('HTTPS://x.example').protocol).toBe('https:');
    refuses(() => p.parseHttpUrl('file:///etc/passwd'), 'not an http(s) URL');
    refuses(() => p.parseHttpUrl('x.example'), 'not a URL');
  });

  it.each([
    ['true', true],
    ['True', true],
    ['TRUE', true],
    [' true ', true],
    ['false', false],
    ['False', false],
    ['FALSE', false],
  ])('boolean %j -> %s', (raw, v) => expect(p.parseBoolean(raw)).toBe(v));
  it.each(['yes', 'no', '1', '0', 'tRUE', 'on', ''])(
    'refuses boolean %j',
    (raw) => refuses(() => p.parseBoolean(raw), 'not a boolean'),
  );

  it('integers: both bounds inclusive, signs and blanks', () => {
    expect(p.parseInteger('0', 0, 10)).toBe(0);
    expect(p.parseInteger('10', 0, 10)).toBe(10);
    expect(p.parseInteger(' 7 ', 0, 10)).toBe(7);
    expect(p.parseInteger('-3', -5, 5)).toBe(-3);
    refuses(() => p.parseInteger('-1', 0, 10), 'out of range');
    refuses(() => p.parseInteger('11', 0, 10), 'out of range');
    refuses(() => p.parseInteger('+1', 0, 10), 'not an integer');
    refuses(() => p.parseInteger('1e1', 0, 100), 'not an integer');
    refuses(() => p.parseInteger('1 2', 0, 100), 'not an integer');
    refuses(() => p.parseInteger('x1', 0, 100), 'not an integer');
    refuses(() => p.parseInteger('1x', 0, 100), 'not an integer');
  });

  it('integers: every value in range parses to itself, every other is refused', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1000, max: 1000 }),
        fc.integer({ min: -1000, max: 1000 }),
        fc.integer({ min: -1100, max: 1100 }),
        (a, b, v) => {
          const [min, max] = a <= b ? [a, b] : [b, a];
          if (v >= min && v <= max)
            expect(p.parseInteger(String(v), min, max)).toBe(v);
          else
            refuses(() => p.parseInteger(String(v), min, max), 'out of range');
        },
      ),
    );
  });

  it('lists: newlines and commas split, comments and blanks dropped', () => {
    expect(p.parseList('a,b\nc')).toEqual(['a', 'b', 'c']);
    expect(p.parseList('  # only a comment\n , \n')).toEqual([]);
    expect(p.parseList('a#x,b')).toEqual(['a', 'b']);
    expect(p.parseList(' a b ')).toEqual(['a b']);
  });

  it('argv: a non-empty list of strings only', () => {
    expect(p.parseArgv('["a"]', parseYaml)).toEqual(['a']);
    expect(p.parseArgv('[a, "b c"]', parseYaml)).toEqual(['a', 'b c']);
    for (const bad of [
      '[]',
      '["a", 1]',
      '[null]',
      '"a"',
      'a',
      '{}',
      '{"0": "a"}',
    ])
      refuses(() => p.parseArgv(bad, parseYaml), 'not a list of strings');
  });
});
