import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError, errorMessage } from '../../errors.js';
import type { OptionsOf } from '../../inputs/spec.js';
import { runUrl } from '../../notify/webhook.js';
import { defineProcedure, type ProcedureContext } from '../../procedure.js';
import { hasControlCharacters } from '../../report/escape.js';
import { renderResult, SUMMARY_LIMIT_BYTES } from '../../report/markdown.js';
import type { Check, ResultBuilder } from '../../report/step-result.js';
import { collectResults, SELF, type Collected } from './collect.js';
import { maintenanceLogInputs } from './inputs.js';
import {
  currentCounts,
  groupingKey,
  maintenanceMetrics,
  pushMaintenance,
} from './metrics.js';
import { approvalsOf, publish } from './publish.js';
import { maintenanceStatus, renderLog, type LogModel } from './render.js';
import {
  cadenceOf,
  commentMarker,
  destination,
  resolveToken,
} from './target.js';
import { utf8Bytes } from './text.js';

type Options = OptionsOf<typeof maintenanceLogInputs>;

/**
 * The summary's budget. Half of GitHub's 1 MiB: the summary also travels in
 * the `result` output (the record's details), which must stay under GitHub's
 * 1 MB output limit; the whole log is the log-file.
 */
const SUMMARY_BUDGET = SUMMARY_LIMIT_BYTES / 2;
const TITLE = '# Maintenance Log - ';

function environmentOf(o: Options): string {
  return o.environment?.trim() || 'default';
}

function checkEnvironment(o: Options): void {
  const e = environmentOf(o);
  if (hasControlCharacters(e) || e.length > 100)
    throw new ConfigurationError(
      "input 'environment' must be one line of at most 100 characters (production, staging)",
    );
}

/** The runbook's maintenance log of a whole run, from every procedure's record. */
export const maintenanceLog = defineProcedure({
  name: SELF,
  title: 'Maintenance log',
  description:
    "Gathers the run's StepResults (this job's and downloaded ones) into the runbook's maintenance-log template: job summary, a log file, one comment per workflow and environment on the pull request or issue (updated in place) or a new issue, and the maintenance metrics on the Pushgateway.",
  inputs: maintenanceLogInputs,
  outputs: {
    'log-file':
      'Path of the maintenance log, as Markdown (complete, never shortened).',
  },
  validate(o, env) {
    checkEnvironment(o);
    destination(o, env);
  },
  async run(o, ctx) {
    const dest = destination(o, ctx.env);
    const token =
      dest.kind === 'none' ? resolveToken(o.githubToken, ctx.env) : dest.token;
    if (token) ctx.maskSecret(token);
    const environment = environmentOf(o);
    const workflow = ctx.env['GITHUB_WORKFLOW']?.trim() || undefined;
    const rb = ctx.record({ environment, ...(workflow ? { workflow } : {}) });
    const found = await collect(o, ctx, rb);
    const model = await buildModel(o, ctx, found, token, environment);
    model.metrics = await pushMetrics(o, ctx, rb, model);
    const status = maintenanceStatus(model);
    rb.check({
      name: 'maintenance',
      status,
      observed: `${found.results.length} procedure run(s): ${tally(found)}`,
    });
    const logFile = await writeLog(renderLog(model), ctx, rb);
    const url = model.runUrl;
    rb.details.push(
      renderLog(model, {
        limit: SUMMARY_BUDGET,
        measure: utf8Bytes,
        pointer: `the whole log is the file ${logFile} (output log-file).`,
      }),
    );
    let failure: string | undefined;
    let where = 'job summary and log file';
    if (dest.kind !== 'none') {
      const pointer = url
        ? `the whole log is in the job summary of ${url}`
        : 'the whole log is in the job summary of the run.';
      const p = await publish(
        dest,
        model,
        commentMarker(workflow ?? '', environment),
        pointer,
        o.labels,
        ctx,
      );
      rb.check(p.check);
      failure = p.failure;
      if (!failure) where += `, ${p.check.observed}`;
    } else ctx.log.info(`not commenting: ${dest.why}`);
    const result = rb.finish(
      `Maintenance log of ${found.results.length} procedure run(s), ${status}: ${where}.`,
    );
    return { result, outputs: { 'log-file': logFile }, failure };
  },
  render(result) {
    const log = result.details?.[0];
    return log?.startsWith(TITLE) ? log : renderResult(result);
  },
});

async function collect(
  o: Options,
  ctx: ProcedureContext,
  rb: ResultBuilder,
): Promise<Collected> {
  const dirs = [ctx.resultsDir, ...o.resultsDir];
  const found = await ctx.log.group('collect results', () =>
    collectResults(dirs),
  );
  for (const u of found.unreadable)
    ctx.log.warning(`unreadable result ${u.path}: ${u.why}`);
  for (const d of found.missing)
    ctx.log.warning(`results folder ${d} does not exist`);
  const own = found.missing.filter((d) => d === dirs[0]);
  const problems = found.unreadable.length + found.missing.length - own.length;
  rb.check({
    name: 'results',
    status: problems > 0 || found.results.length === 0 ? 'warning' : 'ok',
    observed: `${found.results.length} result(s) from ${dirs.length} folder(s)${found.unreadable.length > 0 ? `, ${found.unreadable.length} unreadable` : ''}${found.missing.length - own.length > 0 ? `, ${found.missing.length - own.length} folder(s) missing` : ''}`,
  });
  // This job's own folder is absent when no procedure ran in this job: normal.
  found.missing = found.missing.filter((d) => d !== dirs[0]);
  return found;
}

function tally(found: Collected): string {
  const n = new Map<string, number>();
  for (const r of found.results) n.set(r.status, (n.get(r.status) ?? 0) + 1);
  return [...n].map(([s, k]) => `${k} ${s}`).join(', ') || 'none';
}

async function buildModel(
  o: Options,
  ctx: ProcedureContext,
  found: Collected,
  token: string,
  environment: string,
): Promise<LogModel> {
  const start = found.results[0]?.startedAt;
  const applied = found.results.some((r) => r.changes.length > 0);
  return {
    date: (start ?? ctx.now().toISOString()).slice(0, 10),
    cadence: cadenceOf(o.cadence, ctx.env),
    environment,
    workflow: ctx.env['GITHUB_WORKFLOW']?.trim() || undefined,
    results: found.results,
    unreadable: found.unreadable,
    missing: found.missing,
    ownIssues: [],
    // The CLI's user when GitHub did not start the run.
    actor:
      ctx.env['GITHUB_ACTOR'] ||
      ctx.env['USER'] ||
      ctx.env['LOGNAME'] ||
      undefined,
    approvals: applied ? await approvalsOf(token, ctx) : [],
    runUrl: runUrl(ctx.env),
    metrics: 'off',
    startedAt: ctx.now(),
    endedAt: ctx.now(),
  };
}

/** Every procedure succeeded: at least one result, none failed, none unreadable. */
function succeeded(m: LogModel): boolean {
  return (
    m.results.length > 0 &&
    m.unreadable.length === 0 &&
    m.results.every((r) => r.status !== 'failed')
  );
}

async function pushMetrics(
  o: Options,
  ctx: ProcedureContext,
  rb: ResultBuilder,
  m: LogModel,
): Promise<LogModel['metrics']> {
  if (!o.pushgatewayUrl) return 'off';
  const labels = groupingKey(m.environment);
  let check: Check;
  try {
    const previous = await currentCounts(o.pushgatewayUrl, labels);
    const pushed = maintenanceMetrics(m.results, previous, succeeded(m));
    await pushMaintenance(o.pushgatewayUrl, labels, pushed.body);
    check = {
      name: 'metrics',
      status: 'ok',
      observed: `pushed to ${o.pushgatewayUrl.origin}: success ${pushed.success ? 1 : 0}, tasks ${[...pushed.counts].map(([k, v]) => `${k}=${v}`).join(' ') || 'none'}`,
    };
  } catch (e) {
    check = { name: 'metrics', status: 'warning', observed: errorMessage(e) };
    m.ownIssues.push(`Metrics not pushed: ${errorMessage(e)}`);
    ctx.log.warning(`metrics not pushed: ${errorMessage(e)}`);
  }
  rb.check(check);
  return check.status === 'ok' ? 'pushed' : 'failed';
}

async function writeLog(
  markdown: string,
  ctx: ProcedureContext,
  rb: ResultBuilder,
): Promise<string> {
  const dir = join(ctx.outputDir, 'maintenance-log');
  await mkdir(dir, { recursive: true });
  const stamp = ctx.now().toISOString().replace(/[:.]/g, '-');
  const file = join(dir, `maintenance-log-${stamp}.md`);
  const text = markdown + '\n';
  await writeFile(file, text, { mode: 0o600 });
  rb.artifacts.push({
    path: file,
    sha256: createHash('sha256').update(text).digest('hex'),
    size: Buffer.byteLength(text),
  });
  return file;
}
