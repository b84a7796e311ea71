// The third-party actions our workflows use, emulated on the local disk as
// the runner would run them: actions/checkout copies a repository snapshot
// at the requested commit, upload-artifact and download-artifact copy
// directories to and from the run's artifact store. The image build's
// actions (buildx, registry login, build-push, Trivy) are known and pinned
// but not emulated: a run test that reaches them fails loudly (run the
// weekly workflow without `image`). Any other action is an error: a workflow
// that uses something the tests do not know fails.
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';

/** A repository the runner can check out: one commit, some refs naming it. */
export interface RepoSnapshot {
  /** The tree of the commit. */
  dir: string;
  /** Its commit SHA. */
  sha: string;
  /** Branches and tags (short names) that point at `sha`. */
  refs?: string[];
}

/** What a built-in action sees of the job. */
export interface BuiltinContext {
  workspace: string;
  artifacts: string;
  repos: Record<string, RepoSnapshot | RepoSnapshot[]>;
  /** github.repository and github.sha: checkout's defaults. */
  repository: string;
  sha: string;
  /** github.run_id, and the artifact stores of earlier runs by id. */
  runId: string;
  pastRuns: Record<string, string>;
  log(line: string): void;
  /** Adds a variable to the job's environment, as a GITHUB_ENV line does. */
  exportEnv(name: string, value: string): void;
}

/** The built-in actions by `owner/name`, pinned to these commits. */
export const PINNED: Record<string, { sha: string; tag: string }> = {
  'actions/checkout': {
    sha: '3d3c42e5aac5ba805825da76410c181273ba90b1',
    tag: 'v7.0.1',
  },
  'actions/upload-artifact': {
    sha: 'bbbca2ddaa5d8feaa63e36b76fdaad77386f024f',
    tag: 'v7.0.0',
  },
  'actions/download-artifact': {
    sha: '3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c',
    tag: 'v8.0.1',
  },
  'aws-actions/configure-aws-credentials': {
    sha: 'e6de054238d6b7531b4efff3b6587d9aade6a06c',
    tag: 'v6.2.3',
  },
  'docker/setup-buildx-action': {
    sha: '37fe631027851001ddb9b187196cc803df7f5f0e',
    tag: 'v4.3.0',
  },
  'docker/login-action': {
    sha: '4907a6ddec9925e35a0a9e82d7399ccc52663121',
    tag: 'v4.1.0',
  },
  'docker/build-push-action': {
    sha: '53b7df96c91f9c12dcc8a07bcb9ccacbed38856a',
    tag: 'v7.3.0',
  },
  'aquasecurity/trivy-action': {
    sha: 'ed142fd0673e97e23eac54620cfb913e5ce36c25',
    tag: 'v0.36.0',
  },
};

/** Pinned, but needing docker and a registry: never run by the tests. */
export const NOT_EMULATED = new Set([
  'docker/setup-buildx-action',
  'docker/login-action',
  'docker/build-push-action',
  'aquasecurity/trivy-action',
]);

/**
 * The snapshot of `repository` that `ref` (a SHA, a branch or tag, with or
 * without refs/heads/ or refs/tags/) names, or undefined.
 */
export function findSnapshot(
  repos: Record<string, RepoSnapshot | RepoSnapshot[]>,
  repository: string,
  ref: string,
): RepoSnapshot | undefined {
  const all = repos[repository];
  const short = ref.replace(/^refs\/(heads|tags)\//, '');
  return (Array.isArray(all) ? all : all ? [all] : []).find(
    (r) => r.sha === short || (r.refs ?? []).includes(short),
  );
}

const resolvePath = (ws: string, p: string) =>
  isAbsolute(p) ? p : join(ws, p);

/** Runs a built-in action; returns its outputs, throws on failure. */
export function runBuiltin(
  uses: string,
  inputs: Record<string, string>,
  ctx: BuiltinContext,
): Record<string, string> {
  const [name, ref] = uses.split('@');
  const pin = PINNED[name ?? ''];
  if (!pin) throw new Error(`the test runner does not know the action ${uses}`);
  if (ref !== pin.sha)
    throw new Error(`${uses}: the tests know ${name} at ${pin.sha} only`);
  if (NOT_EMULATED.has(name ?? ''))
    throw new Error(
      `${uses}: the test runner cannot build or scan images; run this workflow without the input that enables this job`,
    );
  if (name === 'actions/checkout') return checkout(inputs, ctx);
  if (name === 'actions/upload-artifact') return upload(inputs, ctx);
  if (name === 'aws-actions/configure-aws-credentials')
    return awsCredentials(inputs, ctx);
  return download(inputs, ctx);
}

/**
 * configure-aws-credentials with access keys: it exports them and the region
 * to the job's environment, where the AWS SDK's default chain finds them.
 * Assuming a role needs STS and GitHub's OIDC token: not emulated.
 */
function awsCredentials(
  i: Record<string, string>,
  ctx: BuiltinContext,
): Record<string, string> {
  if (i['role-to-assume'])
    throw new Error(
      `configure-aws-credentials: the test runner cannot assume ${i['role-to-assume']} (no STS, no OIDC token); give access keys`,
    );
  const id = i['aws-access-key-id'] ?? '';
  const key = i['aws-secret-access-key'] ?? '';
  const region = i['aws-region'] ?? '';
  if (!region)
    throw new Error('configure-aws-credentials: aws-region is required');
  if (!id || !key)
    throw new Error(
      'configure-aws-credentials: Credentials could not be loaded, please check your action inputs',
    );
  for (const [k, v] of Object.entries({
    AWS_ACCESS_KEY_ID: id,
    AWS_SECRET_ACCESS_KEY: key,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
  }))
    ctx.exportEnv(k, v);
  ctx.log(`configure-aws-credentials: access keys for ${region}`);
  return { 'aws-account-id': '' };
}

function checkout(
  i: Record<string, string>,
  ctx: BuiltinContext,
): Record<string, string> {
  const repository = i['repository'] || ctx.repository;
  const want = i['ref'] || (repository === ctx.repository ? ctx.sha : 'main');
  const repo = findSnapshot(ctx.repos, repository, want);
  if (!repo)
    throw new Error(
      `checkout: fatal: couldn't find remote ref ${want} in ${repository}`,
    );
  const dest = resolvePath(ctx.workspace, i['path'] ?? '');
  // clean: true. A directory that is not this repository is replaced.
  if (dest !== ctx.workspace) rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  const sparse = (i['sparse-checkout'] ?? '')
    .split('\n')
    .map((s) => s.trim().replace(/^\/|\/$/g, ''))
    .filter(Boolean);
  for (const e of readdirSync(repo.dir, { withFileTypes: true })) {
    if (e.name === '.git') continue;
    // Cone mode: the listed directories, and every file at the top.
    if (sparse.length > 0 && e.isDirectory() && !sparse.includes(e.name))
      continue;
    cpSync(join(repo.dir, e.name), join(dest, e.name), {
      recursive: true,
      dereference: true,
    });
  }
  ctx.log(`checkout: ${repository}@${repo.sha} into ${dest}`);
  return { ref: want, commit: repo.sha };
}

function visibleFiles(dir: string, hidden: boolean): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .filter(
      (p) =>
        hidden ||
        !p
          .slice(dir.length)
          .split('/')
          .some((s) => s.startsWith('.')),
    );
}

function upload(
  i: Record<string, string>,
  ctx: BuiltinContext,
): Record<string, string> {
  const name = i['name'] || 'artifact';
  const src = resolvePath(ctx.workspace, i['path'] ?? '');
  const hidden = i['include-hidden-files'] === 'true';
  const dest = join(ctx.artifacts, name);
  const files = !existsSync(src)
    ? []
    : statSync(src).isDirectory()
      ? visibleFiles(src, hidden)
      : [src];
  if (files.length === 0) {
    const mode = i['if-no-files-found'] || 'warn';
    if (mode === 'error')
      throw new Error(`upload-artifact: no files were found with ${src}`);
    ctx.log(`upload-artifact: no files at ${src} (${mode})`);
    return {};
  }
  if (existsSync(dest)) {
    if (i['overwrite'] !== 'true')
      throw new Error(
        `upload-artifact: an artifact with the name ${name} already exists`,
      );
    rmSync(dest, { recursive: true });
  }
  for (const f of files) {
    const rel = statSync(src).isDirectory()
      ? f.slice(src.length + 1)
      : basename(f);
    mkdirSync(join(dest, rel, '..'), { recursive: true });
    cpSync(f, join(dest, rel));
  }
  ctx.log(`upload-artifact: ${name} (${files.length} file(s))`);
  return { 'artifact-id': name };
}

function download(
  i: Record<string, string>,
  ctx: BuiltinContext,
): Record<string, string> {
  const dest = resolvePath(ctx.workspace, i['path'] ?? '');
  mkdirSync(dest, { recursive: true });
  // run-id counts only with a token, as in download-artifact.
  const runId = i['github-token'] ? i['run-id'] || ctx.runId : ctx.runId;
  const store = runId === ctx.runId ? ctx.artifacts : ctx.pastRuns[runId];
  if (!store)
    throw new Error(`download-artifact: no run ${runId} in this repository`);
  const all = existsSync(store) ? readdirSync(store) : [];
  if (i['name']) {
    if (!all.includes(i['name']))
      throw new Error(`download-artifact: artifact '${i['name']}' not found`);
    cpSync(join(store, i['name']), dest, { recursive: true });
    return { 'download-path': dest };
  }
  const glob = new RegExp(
    '^' +
      (i['pattern'] || '*')
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*') +
      '$',
  );
  const merge = i['merge-multiple'] === 'true';
  const matched = all.filter((a) => glob.test(a));
  for (const a of matched)
    cpSync(join(store, a), merge ? dest : join(dest, a), {
      recursive: true,
    });
  ctx.log(`download-artifact: ${matched.join(', ') || 'nothing matched'}`);
  return { 'download-path': dest };
}
