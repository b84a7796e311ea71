import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import * as p from '../../src/inputs/parsers.js';
import { MAX_TIMER_MS, timerMs } from '../../src/process/timer.js';
import {
  DURATION_MAX_MS,
  input,
  TIMER_DURATION_MAX_MS,
} from '../../src/inputs/spec.js';
import { readInputs } from '../../src/inputs/read.js';

const specs = {
  timeout: input.duration('timeout', { default: '10s', description: 'd' }),
  maxAge: input.optionalDuration('max-age', { description: 'd' }),
  poll: input.duration('poll', {
    default: '500ms',
    description: 'd',
    min: 100,
    max: 60_000,
  }),
  wait: input.optionalDuration('wait', { description: 'd', timer: true }),
};

function read(values: Record<string, string>) {
  return readInputs(
    specs,
    (n) => values[n] ?? '',
    () => undefined,
  );
}

function problems(values: Record<string, string>): string {
  try {
    read(values);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigurationError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigurationError');
}

describe('duration bounds (security review: durations are not bounded)', () => {
  it('duration form states the default bounds 1s to 30d', () => {
    expect(specs.timeout.form).toBe(
      'a duration such as 30s, 5m, 24h or 7d, from 1s to 30d',
    );
    expect(specs.maxAge.form).toBe(specs.timeout.form);
    expect(specs.poll.form).toMatch(/from 100ms to 1m$/);
    expect(specs.wait.form).toMatch(/from 1s to 24d$/);
  });

  it('duration within bounds parses, at both ends', () => {
    expect(read({ timeout: '1s', 'max-age': '30d' })).toMatchObject({
      timeout: 1000,
      maxAge: DURATION_MAX_MS,
      poll: 500,
      wait: undefined,
    });
    expect(read({ poll: '100ms', wait: '24d' })).toMatchObject({
      poll: 100,
      wait: TIMER_DURATION_MAX_MS,
    });
  });

  it.each([
    ['timeout', '999ms', 'from 1s to 30d'],
    ['timeout', '31d', 'from 1s to 30d'],
    ['max-age', '5w', 'from 1s to 30d'],
    ['max-age', '99999999999999999999d', 'from 1s to 30d'],
    ['poll', '2m', 'from 100ms to 1m'],
    ['wait', '25d', 'from 1s to 24d'],
  ])(
    'duration out of bounds %s=%s is refused stating the bounds',
    (name, v, bounds) => {
      const msg = problems({ [name]: v });
      expect(msg).toContain(`input '${name}' has an invalid value "${v}"`);
      expect(msg).toContain(`out of range: give ${bounds}`);
      expect(msg).toContain(`, ${bounds}`);
    },
  );

  it('duration of a timer can never exceed 2^31-1 ms', () => {
    expect(TIMER_DURATION_MAX_MS).toBeLessThanOrEqual(MAX_TIMER_MS);
    expect(() =>
      input.duration('t', {
        default: '1s',
        description: 'd',
        timer: true,
        max: 2 ** 31,
      }),
    ).toThrow(/bad duration bounds/);
    expect(() =>
      input.duration('t', { default: '1s', description: 'd', min: 5, max: 1 }),
    ).toThrow(/bad duration bounds/);
  });

  it('timerMs clamps any delay into what setTimeout takes', async () => {
    expect(timerMs(DURATION_MAX_MS)).toBe(2 ** 31 - 1);
    expect(timerMs(Infinity)).toBe(2 ** 31 - 1);
    expect(timerMs(-5)).toBe(0);
    expect(timerMs(NaN)).toBe(0);
    expect(timerMs(1500)).toBe(1500);
    // Unclamped, Node fires a 30d timer after 1 ms; clamped it stays pending.
    let fired = false;
    const t = setTimeout(() => (fired = true), timerMs(DURATION_MAX_MS));
    await new Promise((r) => setTimeout(r, 20));
    clearTimeout(t);
    expect(fired).toBe(false);
  });

  it.each([
    [1000, '1s'],
    [DURATION_MAX_MS, '30d'],
    [14 * 86_400_000, '14d'],
    [70 * 86_400_000, '10w'],
    [90_000, '90s'],
    [250, '250ms'],
  ])('formatDuration(%d) is %s', (ms, text) =>
    expect(p.formatDuration(ms)).toBe(text),
  );
});
