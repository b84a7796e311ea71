import { describe, expect, it } from 'vitest';
import { parseExposition, parseValue } from './exposition.js';

describe('parseExposition', () => {
  it.each([
    ['up 1', { name: 'up', labels: {}, value: 1 }],
    ['a_b:c{x="1"} 2.5e3', { name: 'a_b:c', labels: { x: '1' }, value: 2500 }],
    [
      'm{a="q\\"u\\\\o\\nte",b="",} -3 1700000000000',
      {
        name: 'm',
        labels: { a: 'q"u\\o\nte', b: '' },
        value: -3,
        timestamp: 1.7e12,
      },
    ],
    [
      'm{ a="1" , b="2" } +Inf',
      { name: 'm', labels: { a: '1', b: '2' }, value: Infinity },
    ],
  ])('parses %s', (line, expected) => {
    expect(parseExposition(`# HELP m x\n# TYPE m gauge\n${line}\n`)).toEqual([
      expected,
    ]);
  });

  it('reads NaN and -Inf', () => {
    expect(parseValue('NaN')).toBeNaN();
    expect(parseValue('-Inf')).toBe(-Infinity);
  });

  it.each(['{a="1"} 1', 'm{a=1} 1', 'm{a="1"', 'm', 'm x'])(
    'rejects %s',
    (line) => {
      expect(() => parseExposition(line)).toThrow();
    },
  );
});
