// The checks every workflow of this repository must pass, as one function
// that returns the problems it finds (so a test can also show them catching
// a broken workflow): actions exist and get only their inputs, mutating steps
// and the write credential stay in environment-gated jobs, least permissions,
// pinned third-party actions, no expressions in scripts, references that
// resolve, and reusable workflows called the way they declare.
import { join } from 'node:path';
import { callsStatus, expressionsIn, references } from './expressions.js';
import {
  excessPermissions,
  needsOf,
  permissionsOf,
  readAction,
  workflowCall,
  type ActionMeta,
  type Job,
  type Step,
  type Workflow,
} from './load.js';

/** A workflow file: its name, text and parsed form. */
export interface WorkflowFile {
  file: string;
  text: string;
  wf: Workflow;
}

/** A YAML value as text ('' for none). */
const str = (v: unknown): string =>
  typeof v === 'string'
    ? v
    : v === undefined || v === null
      ? ''
      : JSON.stringify(v);

/** Where the suite's actions are checked out in a job of a reusable workflow. */
export const CHECKOUT_PATH = '.pqc-ops';

/** Procedures that change the target, and when a step of them does. */
const MUTATING: Record<string, (w: Record<string, unknown>) => boolean> = {
  scale: (w) => w['mode'] !== undefined && w['mode'] !== 'plan',
  restore: (w) => w['mode'] !== undefined && w['mode'] !== 'plan',
  'cert-rotate': (w) => w['mode'] !== undefined && w['mode'] !== 'plan',
  housekeeping: (w) => w['mode'] !== undefined && w['mode'] !== 'plan',
  rollout: (w) => w['mode'] !== undefined && w['mode'] !== 'plan',
  'dr-test': (w) => w['mode'] !== undefined && w['mode'] !== 'plan',
  incident: (w) => w['mode'] !== undefined && w['mode'] !== 'plan',
  health: (w) => w['self-heal'] !== undefined && w['self-heal'] !== false,
};

/** Secrets that can change the target: only environment-gated jobs may read them. */
export const WRITE_SECRETS = ['KUBECONFIG_WRITE', 'KUBECONFIG_INCIDENT_WRITE'];

/** The action a local `uses:` names in this repository, or undefined. */
export function suiteAction(uses: string): string | undefined {
  return new RegExp(
    `^\\./${CHECKOUT_PATH.replace('.', '\\.')}/actions/([\\w-]+)$`,
  ).exec(uses)?.[1];
}

/** Every problem of the workflows; `actionsDir` holds actions/<name>/action.yml. */
export function lintWorkflows(
  files: WorkflowFile[],
  actionsDir: string,
): string[] {
  const byName = new Map(files.map((f) => [f.file, f]));
  const out: string[] = [];
  for (const f of files) {
    const at = (job: string, what: string) =>
      out.push(`${f.file} ${job}: ${what}`);
    out.push(...lintText(f));
    const reusable = workflowCall(f.wf);
    for (const [id, job] of Object.entries(f.wf.jobs)) {
      const p = (what: string) => at(id, what);
      lintReferences(f.wf, job, p);
      if (job.uses) {
        lintCall(f, job, byName, p);
        continue;
      }
      if (job['timeout-minutes'] === undefined) p('no timeout-minutes');
      const perms =
        permissionsOf(job.permissions) ?? permissionsOf(f.wf.permissions);
      if (!perms) p('no permissions (job or workflow)');
      if (reusable && job.permissions === undefined)
        p('a job of a reusable workflow declares its own permissions');
      const steps = job.steps ?? [];
      const logJob = steps.some((s) =>
        s.uses?.endsWith('/actions/maintenance-log'),
      );
      for (const scope of ['pull-requests', 'issues'])
        if (perms?.[scope] === 'write' && !logJob)
          p(`${scope}: write outside the log job`);
      const gated = job.environment !== undefined;
      const text = JSON.stringify(job);
      for (const s of WRITE_SECRETS)
        if (text.includes(`secrets.${s}`) && !gated)
          p(`${s} in a job without an environment`);
      let checkedOut = false;
      for (const [n, step] of steps.entries()) {
        const sp = (what: string) => p(`step ${step.id ?? n + 1}: ${what}`);
        if (step.run !== undefined && step.run.includes('${{'))
          sp('${{ }} inside run:');
        if (
          step.uses?.startsWith('actions/checkout@') &&
          step.with?.['path'] === CHECKOUT_PATH
        ) {
          checkedOut =
            step.with['repository'] ===
              '${{ needs.pqc-ops.outputs.repository }}' &&
            step.with['ref'] === '${{ needs.pqc-ops.outputs.sha }}';
          if (!checkedOut)
            sp(
              `${CHECKOUT_PATH} is not this workflow's repository at its commit`,
            );
        }
        if (!step.uses?.startsWith('./')) continue;
        const name = suiteAction(step.uses);
        if (!name) {
          sp(
            `${step.uses}: a local action of a reusable workflow resolves in the caller's workspace; use ./${CHECKOUT_PATH}/actions/<name>`,
          );
          continue;
        }
        if (!checkedOut)
          sp(
            `${step.uses} before the checkout of pqc-ops into ${CHECKOUT_PATH}`,
          );
        if (!needsOf(job).includes('pqc-ops'))
          p('uses the suite without needs: pqc-ops');
        const meta = readAction(join(actionsDir, name));
        if (!meta) {
          sp(`no action ${name} in actions/`);
          continue;
        }
        lintStep(meta, name, step, gated, sp);
        if (gated && MUTATING[name]?.(step.with ?? {}) && !concurrencySafe(job))
          p('a mutating job without concurrency (cancel-in-progress: false)');
      }
    }
    if (reusable) lintLogJob(f, at);
  }
  return out;
}

function lintStep(
  meta: ActionMeta,
  name: string,
  step: Step,
  gated: boolean,
  p: (w: string) => void,
): void {
  const inputs = meta.inputs ?? {};
  const given = step.with ?? {};
  for (const k of Object.keys(given))
    if (!(k in inputs)) p(`${name} has no input ${k}`);
  for (const [k, d] of Object.entries(inputs))
    if (d.required && d.default === undefined && !(k in given))
      p(`${name} needs input ${k}`);
  if (MUTATING[name]?.(given) && !gated)
    p(`${name} can change the target, in a job without an environment`);
}

function concurrencySafe(job: Job): boolean {
  const c = job.concurrency as
    { group?: string; 'cancel-in-progress'?: unknown } | undefined;
  return !!c?.group && c['cancel-in-progress'] === false;
}

/** Text-level rules: pinned third-party actions with their version, crons off the hour. */
function lintText(f: WorkflowFile): string[] {
  const out: string[] = [];
  for (const [n, line] of f.text.split('\n').entries()) {
    const m = /^\s*(?:-\s+)?uses:\s*([^\s#]+)(\s*#.*)?$/.exec(line);
    if (m && !m[1]?.startsWith('./')) {
      const [, ref] = (m[1] ?? '').split('@');
      if (!/^[0-9a-f]{40}$/.test(ref ?? ''))
        out.push(`${f.file}:${n + 1}: ${m[1]} is not pinned to a commit SHA`);
      else if (!/#\s*v\d/.test(m[2] ?? ''))
        out.push(`${f.file}:${n + 1}: ${m[1]} has no version comment`);
    }
    if (/secrets\s*:\s*inherit/.test(line))
      out.push(`${f.file}:${n + 1}: secrets: inherit passes every secret`);
  }
  const schedule = (f.wf.on['schedule'] ?? []) as { cron: string }[];
  for (const s of schedule)
    if (/^0?0\s/.test(s.cron))
      out.push(`${f.file}: cron '${s.cron}' runs at the top of the hour`);
  return out;
}

/** inputs, secrets, needs and steps referenced in expressions exist; no secrets in if:. */
function lintReferences(w: Workflow, job: Job, p: (w: string) => void): void {
  const wc = workflowCall(w);
  const dispatch = (w.on['workflow_dispatch'] ?? {}) as {
    inputs?: Record<string, unknown>;
  };
  const inputs = new Set([
    ...Object.keys(wc?.inputs ?? {}),
    ...Object.keys(dispatch.inputs ?? {}),
  ]);
  const secrets = wc ? new Set(Object.keys(wc.secrets ?? {})) : undefined;
  const needs = new Set(needsOf(job));
  const check = (value: unknown, stepIds: Set<string>, where: string) => {
    for (const e of expressionsIn(
      JSON.stringify(value ?? '').replace(/\\n/g, '\n'),
    ))
      for (const ref of references(e.replace(/\\"/g, '"'))) {
        const [ctx, name] = ref;
        if (ctx === 'inputs' && name && !inputs.has(name))
          p(`${where}: inputs.${name} is not an input`);
        if (
          ctx === 'secrets' &&
          name &&
          secrets &&
          !secrets.has(name) &&
          name !== 'GITHUB_TOKEN'
        )
          p(`${where}: secrets.${name} is not a declared secret`);
        if (ctx === 'needs' && name && !needs.has(name))
          p(`${where}: needs.${name} is not in needs`);
        if (ctx === 'steps' && name && !stepIds.has(name))
          p(`${where}: steps.${name} is not an earlier step`);
      }
  };
  const none = new Set<string>();
  check(job.if, none, 'if');
  if (/secrets\./.test(str(job.if)))
    p('secrets in a job if: (not available there)');
  for (const k of [
    'runs-on',
    'timeout-minutes',
    'environment',
    'concurrency',
    'with',
    'secrets',
  ] as const)
    check(job[k], none, k);
  const seen = new Set<string>();
  for (const [n, step] of (job.steps ?? []).entries()) {
    check(
      { if: step.if, with: step.with, env: step.env, run: step.run },
      seen,
      `step ${step.id ?? n + 1}`,
    );
    if (/secrets\./.test(str(step.if))) p('secrets in a step if:');
    if (step.id) seen.add(step.id);
  }
  check(job.outputs, seen, 'outputs');
}

/** A call of a local reusable workflow: its inputs, secrets and permissions. */
function lintCall(
  f: WorkflowFile,
  job: Job,
  byName: Map<string, WorkflowFile>,
  p: (w: string) => void,
): void {
  const m = /^\.\/\.github\/workflows\/(.+)$/.exec(job.uses ?? '');
  if (!m)
    return p(`calls ${job.uses}: only this repository's workflows are checked`);
  const called = byName.get(m[1] ?? '');
  const wc = called && workflowCall(called.wf);
  if (!called || !wc) return p(`${job.uses} is not a reusable workflow here`);
  for (const k of Object.keys(job.with ?? {}))
    if (!(k in (wc.inputs ?? {}))) p(`${called.file} has no input ${k}`);
  for (const [k, d] of Object.entries(wc.inputs ?? {}))
    if (d.required && !(k in (job.with ?? {})))
      p(`${called.file} needs input ${k}`);
  if (job.secrets !== 'inherit') {
    for (const k of Object.keys(job.secrets ?? {}))
      if (!(k in (wc.secrets ?? {}))) p(`${called.file} has no secret ${k}`);
    for (const [k, d] of Object.entries(wc.secrets ?? {}))
      if (d.required && !(k in (job.secrets ?? {})))
        p(`${called.file} needs secret ${k}`);
  }
  const granted =
    permissionsOf(job.permissions) ?? permissionsOf(f.wf.permissions);
  if (!granted) return p('calls a reusable workflow without permissions');
  for (const [cid, cjob] of Object.entries(called.wf.jobs)) {
    const wanted =
      permissionsOf(cjob.permissions) ??
      permissionsOf(called.wf.permissions) ??
      {};
    const excess = excessPermissions(granted, wanted);
    if (excess.length)
      p(
        `${called.file} ${cid} asks for ${excess.join(', ')}, more than this call grants`,
      );
  }
}

/** A reusable workflow ends with a log job that always runs and reads every job's results. */
function lintLogJob(
  f: WorkflowFile,
  at: (job: string, what: string) => void,
): void {
  const jobs = Object.entries(f.wf.jobs);
  const log = jobs.find(([, j]) =>
    (j.steps ?? []).some((s) => s.uses?.endsWith('/actions/maintenance-log')),
  );
  if (!log) return at('-', 'no log job (maintenance-log)');
  const [logId, logJob] = log;
  if (!callsStatus(str(logJob.if)) || !str(logJob.if).includes('always()'))
    at(logId, 'the log job does not run always()');
  const others = jobs.filter(([id]) => id !== logId).map(([id]) => id);
  const missing = others.filter((id) => !needsOf(logJob).includes(id));
  if (missing.length) at(logId, `does not need ${missing.join(', ')}`);
  const downloads = (logJob.steps ?? []).some((s) =>
    s.uses?.startsWith('actions/download-artifact@'),
  );
  if (!downloads) at(logId, 'downloads no results');
  for (const [id, job] of jobs) {
    if (
      id === logId ||
      !(job.steps ?? []).some((s) => suiteAction(s.uses ?? ''))
    )
      continue;
    const upload = (job.steps ?? []).find(
      (s) =>
        s.uses?.startsWith('actions/upload-artifact@') &&
        str(s.with?.['path']).includes('pqc-ops/results'),
    );
    if (!upload) at(id, 'does not upload its results for the log');
    else if (!str(upload.if).includes('always()'))
      at(id, 'uploads its results only on success');
  }
}
