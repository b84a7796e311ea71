/**
 * The application's own compliance checks, as the runbook runs them: its
 * check command in one ready pod, its NIST report endpoint, and the
 * COMPLIANCE lines of its logs.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { errorMessage } from '../../errors.js';
import type { Kube } from '../../kube/client.js';
import { resolvePod } from '../../kube/pods.js';
import { runToEnd } from '../../process/runner.js';
import type { Artifact } from '../../report/step-result.js';
import type { Evaluation } from './controls.js';

/** What the application's checks add to the record. */
export interface AppFindings {
  evaluations: Evaluation[];
  details: string[];
  artifacts: Artifact[];
}

const LAST_LINES = 20;

function tail(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

function fence(text: string): string {
  return '```text\n' + text.replace(/```/g, "'''") + '\n```';
}

/** Runs the check command in one ready application pod. */
export async function appCommand(
  kube: Kube,
  o: {
    namespace: string;
    selector: string;
    container: string | undefined;
    argv: string[];
    timeoutMs: number;
  },
  out: AppFindings,
): Promise<void> {
  const object = `command ${o.argv.join(' ')}`;
  const ev = (passed: boolean, message?: string): Evaluation => ({
    rule: 'app-compliance-check',
    severity: 'high',
    object,
    controls: ['CA-7', 'SC-13'],
    passed,
    ...(message
      ? {
          message,
          fix: "fix what the application's compliance check reports (its output is in the report)",
        }
      : {}),
  });
  try {
    const runner = await resolvePod(kube, o.namespace, {
      selector: o.selector,
      ...(o.container ? { container: o.container } : {}),
      what: 'compliance-command',
    });
    const r = await runToEnd(runner, o.argv, {
      timeoutMs: o.timeoutMs,
      maxBytes: 256 * 1024,
    });
    const text = tail(
      `${r.stdout}${r.stderr ? `\n${r.stderr}` : ''}`,
      LAST_LINES,
    );
    out.details.push(
      `#### Application compliance check (${runner.where}): exit ${r.exitCode}\n\n${fence(text || '(no output)')}`,
    );
    out.evaluations.push(
      r.timedOut
        ? ev(false, `no result within ${Math.round(o.timeoutMs / 1000)} s`)
        : r.exitCode === 0
          ? ev(true)
          : ev(
              false,
              `exit ${r.exitCode}: ${text.split('\n').filter(Boolean).pop() ?? 'no output'}`.slice(
                0,
                300,
              ),
            ),
    );
  } catch (e) {
    out.evaluations.push(ev(false, `could not run: ${errorMessage(e)}`));
  }
}

/** Whether a report body says the system is not compliant. */
function saysNonCompliant(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  const status =
    typeof b['status'] === 'string' ? b['status'].toLowerCase() : '';
  return (
    b['compliant'] === false ||
    ['non-compliant', 'noncompliant', 'fail', 'failed'].includes(status)
  );
}

/** POSTs the runbook's NIST report request and keeps the answer as an artifact. */
export async function appReport(
  url: URL,
  o: {
    token: string | undefined;
    timeoutMs: number;
    outputDir: string;
    stamp: string;
    signal: AbortSignal;
  },
  out: AppFindings,
): Promise<void> {
  const object = `POST ${url.origin}${url.pathname}`;
  const ev = (passed: boolean, message?: string): Evaluation => ({
    rule: 'app-compliance-report',
    severity: 'medium',
    object,
    controls: ['CA-2', 'CA-7'],
    passed,
    ...(message
      ? {
          message,
          fix: "read the application's NIST report (artifact) and fix what it lists",
        }
      : {}),
  });
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
      },
      body: JSON.stringify({ framework: 'nist', output: 'detailed' }),
      signal: AbortSignal.any([AbortSignal.timeout(o.timeoutMs), o.signal]),
      redirect: 'error',
    });
  } catch (e) {
    const cause =
      e instanceof Error && e.cause instanceof Error
        ? `: ${e.cause.message}`
        : '';
    out.evaluations.push(ev(false, `no answer: ${errorMessage(e)}${cause}`));
    return;
  }
  const text = (await res.text()).slice(0, 4 * 1024 * 1024);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const dir = join(o.outputDir, 'reports');
  await mkdir(dir, { recursive: true });
  const path = join(
    dir,
    `compliance-nist-report-${o.stamp}.${body === undefined ? 'txt' : 'json'}`,
  );
  await writeFile(path, text, { mode: 0o600 });
  out.artifacts.push({
    path,
    sha256: createHash('sha256').update(text).digest('hex'),
    size: Buffer.byteLength(text),
  });
  const shown = body === undefined ? text : JSON.stringify(body, null, 2);
  out.details.push(
    `#### Application NIST report (${object}): HTTP ${res.status}\n\n${fence(tail(shown.split('\n').slice(0, 40).join('\n'), 40))}\n\nThe whole answer: ${path}`,
  );
  if (!res.ok) out.evaluations.push(ev(false, `HTTP ${res.status}`));
  else if (saysNonCompliant(body))
    out.evaluations.push(
      ev(false, 'the report says the system is not compliant'),
    );
  else out.evaluations.push(ev(true));
}

/** A COMPLIANCE line that reports a failure. */
const VIOLATION = /\b(FAIL(ED|URE)?|VIOLATION|NON[-_ ]?COMPLIANT)\b/i;

/** The last `lines` COMPLIANCE lines of the application pods' logs. */
export async function appLogs(
  kube: Kube,
  namespace: string,
  pods: V1Pod[],
  lines: number,
  out: AppFindings,
): Promise<void> {
  const found: string[] = [];
  for (const p of pods) {
    const name = p.metadata?.name ?? '';
    const container = p.spec?.containers[0]?.name;
    const log = await kube.call(
      `read the log of pod ${namespace}/${name}`,
      () =>
        kube.core.readNamespacedPodLog({
          name,
          namespace,
          ...(container ? { container } : {}),
          tailLines: 50_000,
        }),
    );
    for (const l of String(log).split('\n'))
      if (l.includes('COMPLIANCE')) found.push(`${name}: ${l}`);
  }
  const last = found.slice(-lines);
  const bad = last.filter((l) => VIOLATION.test(l));
  out.details.push(
    `#### COMPLIANCE lines of the application logs (last ${last.length} of ${found.length})\n\n${last.length ? fence(last.join('\n')) : 'None.'}`,
  );
  out.evaluations.push({
    rule: 'app-compliance-logs',
    severity: 'medium',
    object: `logs of ${pods.length} pod(s) in ${namespace}`,
    controls: ['AU-6', 'CA-7'],
    passed: bad.length === 0,
    ...(bad.length
      ? {
          message:
            `${bad.length} COMPLIANCE line(s) report a failure, the last: ${bad.at(-1) ?? ''}`.slice(
              0,
              300,
            ),
          fix: 'investigate each failing COMPLIANCE line in the application log',
        }
      : {}),
  });
}
