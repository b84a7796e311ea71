import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  progressLine,
  progressReporter,
} from '../../src/report/progress.js';

describe('progress', () => {
  it('says bytes, share, rate and ETA', () => {
    expect(
      progressLine(
        'dump',
        { done: 100 * 2 ** 20, total: 400 * 2 ** 20, unit: 'bytes' },
        4000,
      ),
    ).toBe('dump: 100.0 MiB of ~400.0 MiB (25%), 25.0 MiB/s, ETA 12s');
    expect(
      progressLine(
        'renewals',
        { done: 1, total: 3, unit: 'items', note: 'waiting for 2: a, b' },
        1000,
      ),
    ).toBe('renewals: 1 of 3 (33%), waiting for 2: a, b');
    expect(formatBytes(512)).toBe('512 B');
  });

  it('outside a terminal: one line per interval, never a flood', () => {
    let t = 0;
    const lines: string[] = [];
    const p = progressReporter({
      tty: false,
      write: (l) => lines.push(l),
      intervalMs: 10_000,
      now: () => t,
    });
    for (t = 0; t <= 35_000; t += 100)
      p.progress('dump', { done: t, unit: 'bytes' });
    expect(lines).toHaveLength(4);
    expect(lines.every((l) => l.endsWith('\n') && l.startsWith('dump: '))).toBe(
      true,
    );
  });

  it('on a terminal: one line rewritten in place, ended once', () => {
    let t = 0;
    const out: string[] = [];
    const p = progressReporter({
      tty: true,
      write: (l) => out.push(l),
      intervalMs: 10_000,
      now: () => t,
    });
    for (t = 0; t < 1000; t += 50)
      p.progress('verify', { done: t, total: 1000, unit: 'bytes' });
    p.end();
    p.end();
    expect(out.filter((l) => l.startsWith('\r\x1b[K'))).toHaveLength(5);
    expect(out.filter((l) => l === '\n')).toHaveLength(1);
  });
});
