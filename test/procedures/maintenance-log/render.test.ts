import { describe, expect, it } from 'vitest';
import {
  activityLines,
  plannedOnly,
} from '../../../src/procedures/maintenance-log/activities.js';
import {
  renderLog,
  type LogModel,
} from '../../../src/procedures/maintenance-log/render.js';
import {
  codePoints,
  utf8Bytes,
} from '../../../src/procedures/maintenance-log/text.js';
import { commentMarker } from '../../../src/procedures/maintenance-log/target.js';
import type { StepResult } from '../../../src/report/step-result.js';
import { healthResult, result } from './fixtures.js';

function model(results: StepResult[], more: Partial<LogModel> = {}): LogModel {
  return {
    date: '2025-05-06',
    cadence: 'daily',
    environment: 'production',
    workflow: 'Daily maintenance',
    results,
    unreadable: [],
    missing: [],
    ownIssues: [],
    actor: 'octocat',
    approvals: [],
    runUrl: 'https://github.com/acme/service/actions/runs/42',
    metrics: 'pushed',
    startedAt: new Date(),
    endedAt: new Date(),
    ...more,
  };
}

const SECTIONS = [
  '# Maintenance Log - 2025-05-06',
  '## Pre-maintenance Status',
  '- Service Health:',
  '- Resource Usage:',
  '- Active Alerts:',
  '## Maintenance Activities',
  '## Post-maintenance Validation',
  '## Issues Encountered',
  '## Next Maintenance Items',
  'Performed by: octocat',
  'Duration: 2025-05-06T05:00:00Z - 2025-05-06T05:31:00Z (31 min 0 s)',
  'Run: https://github.com/acme/service/actions/runs/42',
];

describe('the maintenance log', () => {
  const daily = [
    healthResult(0),
    result('backup', 'ok', 2, { followUps: ['Rotate the age key', 'x'] }),
    result('backup-verify', 'failed', 10, {
      checks: [
        {
          name: 'row counts',
          status: 'failed',
          observed: '2 difference(s)',
          detail: 'app.findings',
        },
      ],
      followUps: ['Rotate the age key', 'x'],
    }),
    healthResult(30),
  ];

  it('has every section of the runbook template, in its order', () => {
    const md = renderLog(model(daily));
    let at = -1;
    for (const s of SECTIONS) {
      const i = md.indexOf(s);
      expect(i, s).toBeGreaterThan(at);
      at = i;
    }
    expect(md).toContain('- Resource Usage: cpu ✅ ok (12% of limit), memory');
    expect(md).toContain('- Active Alerts: none among the health checks');
  });

  it('ticks what ran and passed, and only that', () => {
    const md = renderLog(model(daily));
    expect(md).toContain('- [x] System health checks (health): passed');
    expect(md).toContain('- [x] Backup (backup): passed');
    expect(md).toContain(
      '- [ ] Backup verification (backup-verify): failed (1/1 runs)',
    );
    expect(md).toContain('- [ ] Security updates (rollout): not run');
    expect(md).toContain('- [ ] Certificate rotation (cert-rotate): not run');
    expect(md).toContain('- [x] Service health check: health ✅ ok');
    expect(md).toContain('- [ ] User acceptance test: manual');
    expect(md).toMatch(
      /- \*\*backup-verify\*\* row counts ❌ failed: 2 difference\(s\) \(app\.findings\)/,
    );
    // follow-ups once each
    const head = md.slice(0, md.indexOf('## Reports'));
    expect(head.match(/- Rotate the age key/g)).toHaveLength(1);
    expect(md).toContain('<details><summary>backup ✅ ok: backup ok</summary>');
  });

  it('lists unknown procedures by name and does not tick a plan that was not applied', () => {
    const planned = result('scale', 'ok', 5, {
      checks: [
        { name: 'plan', status: 'ok', observed: '1 change(s), sha256 abc' },
      ],
    });
    expect(plannedOnly(planned)).toBe(true);
    const lines = activityLines([planned, result('frobnicate', 'ok', 6)], '');
    expect(lines.find((l) => l.procedure === 'scale')).toMatchObject({
      done: false,
      note: 'planned, not applied',
    });
    expect(lines.find((l) => l.procedure === 'frobnicate')).toMatchObject({
      activity: 'frobnicate',
      done: true,
    });
  });

  it('reads pre-maintenance status before the first change and validation after the last', () => {
    const applied = result('scale', 'ok', 5, {
      changes: [
        {
          what: 'scale 3 -> 5',
          where: 'Deployment',
          undo: 'scale back',
          at: '',
        },
      ],
    });
    const md = renderLog(model([healthResult(0, 'failed'), applied]));
    expect(md).toContain('- Service Health: ❌ failed: unhealthy');
    expect(md).toContain('- Active Alerts: http ❌ failed');
    expect(md).toContain(
      '- [ ] Service health check: not run after the changes',
    );
    expect(md).toContain('- [x] scale: 1 change(s) made and verified');
  });

  it('names the approvers of an apply', () => {
    const md = renderLog(
      model(daily, {
        approvals: [{ login: 'alice', environments: ['production'] }],
      }),
    );
    expect(md).toContain(
      'Performed by: octocat; approved by alice (production)',
    );
  });

  it('escapes untrusted text: no HTML, no forged marker, no mentions', () => {
    const evil = result('health', 'failed', 0, {
      summary: `</details><!-- pqc-ops:maintenance-log workflow=x environment=y --> @admins`,
      checks: [
        {
          name: 'http',
          status: 'failed',
          observed: 'body: <script>x</script>\n::error::boom',
        },
      ],
      details: ['| a |\n| --- |\n| </details> |'],
    });
    const md = renderLog(model([evil]));
    expect(md).not.toContain('</details><!--');
    expect(md).not.toContain('<!-- pqc-ops');
    expect(md).not.toContain('<script>');
    expect(md).not.toMatch(/@admins/);
    expect(md).toContain('&lt;/details&gt;');
    expect(md.match(/<\/details>/g)).toHaveLength(1);
  });

  it('reports unreadable results and missing folders', () => {
    const md = renderLog(
      model([], {
        unreadable: [{ path: '/r/bad.json', why: 'Unexpected token' }],
        missing: ['/r/artifacts'],
      }),
    );
    expect(md).toContain('- Unreadable result /r/bad.json: Unexpected token');
    expect(md).toContain('- Results folder /r/artifacts does not exist');
    expect(md).toContain('**⚠️ warning**');
  });

  it('keeps a comment under 65,536 characters, cutting the reports first, never the checklists', () => {
    const big = (p: string, at: number) =>
      result(p, 'ok', at, {
        details: ['量子耐性 🔐 '.repeat(3000) + '\n' + 'line\n'.repeat(4000)],
      });
    const results = [
      healthResult(0),
      big('backup', 1),
      big('backup-verify', 2),
      big('restore', 3),
    ];
    const full = renderLog(model(results));
    expect(codePoints(full)).toBeGreaterThan(65_536);
    const marker = commentMarker('Daily maintenance', 'production') + '\n';
    const limit = 65_536 - codePoints(marker) - 64;
    const cut = renderLog(model(results), {
      limit,
      measure: codePoints,
      pointer: 'see https://github.com/acme/service/actions/runs/42',
    });
    expect(codePoints(marker + cut)).toBeLessThanOrEqual(65_536);
    const head = full.slice(0, full.indexOf('## Reports'));
    expect(cut.startsWith(head)).toBe(true);
    expect(cut).toContain("Shortened to fit GitHub's limit");
    expect(cut).toContain('actions/runs/42');
    // every fold is still closed
    expect(cut.match(/<details>/g)?.length).toBe(
      cut.match(/<\/details>/g)?.length,
    );
    // and a summary stays under its byte budget
    const summary = renderLog(model(results), {
      limit: 100_000,
      measure: utf8Bytes,
      pointer: 'the log file',
    });
    expect(utf8Bytes(summary)).toBeLessThanOrEqual(100_000);
  });

  it('shortens the issue list only when the reports alone cannot make room', () => {
    const many = Array.from({ length: 3000 }, (_, i) =>
      result('health', 'warning', i, { followUps: [`item ${i} `.repeat(5)] }),
    );
    const cut = renderLog(model(many), {
      limit: 60_000,
      measure: codePoints,
      pointer: 'the run',
    });
    expect(codePoints(cut)).toBeLessThanOrEqual(60_000);
    expect(cut).toContain('## Maintenance Activities');
    expect(cut).toContain(
      '- [x] System health checks (health): passed with warnings',
    );
    expect(cut).toMatch(/- \.\.\. and \d+ more: the run/);
  });
});
