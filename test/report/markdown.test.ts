import { describe, expect, it } from 'vitest';
import { cell, fitMarkdown, renderResult } from '../../src/report/markdown.js';
import { ResultBuilder, worst } from '../../src/report/step-result.js';

describe('report', () => {
  it('worst status wins, skipped counts least', () => {
    expect(worst(['ok', 'skipped'])).toBe('ok');
    expect(worst(['ok', 'warning', 'skipped'])).toBe('warning');
    expect(worst(['warning', 'failed'])).toBe('failed');
    expect(worst([])).toBe('ok');
  });

  it('renders the status table first, then details', () => {
    let t = Date.parse('2026-11-26T15:00:00Z');
    const rb = new ResultBuilder('health', () => new Date((t += 1000)));
    rb.check({
      name: 'http',
      status: 'ok',
      observed: '200 in 12 ms',
      threshold: '200',
    });
    rb.check({
      name: 'pods',
      status: 'failed',
      observed: '2/3 ready',
      detail: 'pod a | b is CrashLoopBackOff',
    });
    const md = renderResult(rb.finish('Unhealthy.'));
    const lines = md.split('\n');
    expect(lines[0]).toBe('### health: ❌ failed');
    expect(md.indexOf('| Check |')).toBeLessThan(md.indexOf('- **pods**'));
    expect(md).toContain('- **pods**: pod a | b is CrashLoopBackOff');
  });

  it('escapes table cells', () => expect(cell('a|b\nc')).toBe('a\\|b<br>c'));

  it('fits a byte budget at a line boundary with a pointer', () => {
    const md = Array.from({ length: 1000 }, (_, i) => `line ${i} ü`).join('\n');
    const out = fitMarkdown(md, 2000, 'See report.md.');
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(2000);
    expect(out).toContain('Truncated');
    expect(out).toContain('See report.md.');
    expect(fitMarkdown('short', 2000, 'x')).toBe('short');
  });
});
