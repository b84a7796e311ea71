// Every workflow, read as GitHub reads it: the checks of lint.ts pass on
// this tree, and they catch the defects of the workflows as they were.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { root } from '../helpers/bundle.js';
import { PINNED } from './builtin-actions.js';
import { evaluate, interpolate } from './expressions.js';
import { parseWorkflow, workflowCall } from './load.js';
import { lintWorkflows, suiteAction, type WorkflowFile } from './lint.js';

const dir = join(root, '.github', 'workflows');
const files: WorkflowFile[] = readdirSync(dir)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort()
  .map((file) => {
    const text = readFileSync(join(dir, file), 'utf8');
    return { file, text, wf: parseWorkflow(text) };
  });
const actions = join(root, 'actions');
/** Workflows that build this repository (Node set up, npm), not maintenance ones. */
const REPOSITORY_WORKFLOWS = new Set(['ci.yml', 'dependabot-dist.yml']);

/** The last commit with the workflows as they were before issue 10. */
const BEFORE = '559aaeb2c26f92069e11e585d3665dec9a71b43e';

/** A file as it was at BEFORE, or undefined (a shallow clone). */
function committed(path: string): string | undefined {
  try {
    return execFileSync('git', ['show', `${BEFORE}:${path}`], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return undefined;
  }
}

describe('the workflows', () => {
  it('pass every check', () => {
    expect(lintWorkflows(files, actions)).toEqual([]);
  });

  it('cover every cadence and the emergencies, reusable, with their callers', () => {
    const reusable = files.filter((f) => workflowCall(f.wf)).map((f) => f.file);
    expect(reusable).toEqual([
      'emergency.yml',
      'maintenance-daily.yml',
      'maintenance-monthly.yml',
      'maintenance-plan.yml',
      'maintenance-quarterly.yml',
      'maintenance-weekly.yml',
    ]);
    const called = files.flatMap((f) =>
      Object.values(f.wf.jobs)
        .map((j) => j.uses)
        .filter(Boolean),
    );
    for (const r of reusable)
      expect(called).toContain(`./.github/workflows/${r}`);
  });

  it('use every action of the suite from the checkout of pqc-ops, and only the pinned built-ins otherwise', () => {
    const used = new Set<string>();
    for (const f of files)
      for (const job of Object.values(f.wf.jobs))
        for (const s of job.steps ?? []) {
          if (!s.uses) continue;
          if (s.uses.startsWith('./')) used.add(suiteAction(s.uses) ?? s.uses);
          else if (!REPOSITORY_WORKFLOWS.has(f.file))
            expect(Object.keys(PINNED)).toContain(s.uses.split('@')[0]);
        }
    expect([...used].sort()).toEqual([
      'backup',
      'backup-verify',
      'capacity',
      'cert-rotate',
      'compliance',
      'dr-test',
      'health',
      'housekeeping',
      'incident',
      'inventory',
      'maintenance-log',
      'performance',
      'restore',
      'rollout',
      'scale',
    ]);
  });

  it('schedule off the top of the hour and dispatch emergencies with a choice of procedure', () => {
    const crons = files.flatMap((f) =>
      ((f.wf.on['schedule'] ?? []) as { cron: string }[]).map((s) => s.cron),
    );
    expect(crons).toHaveLength(4);
    for (const c of crons) expect(Number(c.split(' ')[0])).not.toBe(0);
    const dispatch = files.find((f) => f.file === 'emergency-dispatch.yml')?.wf
      .on['workflow_dispatch'] as {
      inputs: Record<string, { type: string; options?: string[] }>;
    };
    expect(dispatch.inputs['procedure']).toMatchObject({
      type: 'choice',
      options: ['scale', 'outage', 'data-corruption', 'security-incident'],
    });
  });
});

describe('Dependabot', () => {
  const config = parseYaml(
    readFileSync(join(root, '.github', 'dependabot.yml'), 'utf8'),
  ) as {
    version: number;
    updates: { 'package-ecosystem': string; directory: string }[];
  };
  const dist = files.find((f) => f.file === 'dependabot-dist.yml');

  it('keeps the npm packages and the actions current', () => {
    expect(config.version).toBe(2);
    expect(
      config.updates.map((u) => [u['package-ecosystem'], u.directory]),
    ).toEqual([
      ['npm', '/'],
      ['github-actions', '/'],
    ]);
  });

  it("rebuilds dist/ on its npm pull requests, never with a writing token next to the pull request's code", () => {
    expect(dist).toBeDefined();
    if (!dist) return;
    // pull_request (the pull request's code, this repository's token only
    // as the workflow grants it), never pull_request_target.
    expect(Object.keys(dist.wf.on)).toEqual(['pull_request']);
    expect(dist.wf.permissions).toEqual({});
    const { build, commit } = dist.wf.jobs;
    expect(String(build?.if)).toContain(
      "github.event.pull_request.user.login == 'dependabot[bot]'",
    );
    expect(String(build?.if)).toContain(
      'github.event.pull_request.head.repo.full_name == github.repository',
    );
    expect(build?.permissions).toEqual({ contents: 'read' });
    expect(commit?.needs).toBe('build');
    expect(commit?.permissions).toEqual({ contents: 'write' });
    const runs = (j: typeof build) =>
      (j?.steps ?? []).map((s) => s.run ?? '').join('\n');
    expect(runs(build)).toMatch(/npm ci[\s\S]*npm run build/);
    // The job that may push runs nothing of the pull request.
    expect(runs(commit)).not.toMatch(/\b(npm|npx|node)\b/);
    expect(runs(commit)).toContain('git add -A -- dist');
    // build.mjs writes the CLI entry 0755; an artifact keeps no modes.
    expect(runs(commit)).toContain('chmod 755 dist/cli/index.js');
    for (const j of [build, commit])
      for (const s of j?.steps ?? []) {
        if (s.uses) expect(s.uses).toMatch(/^[\w-]+\/[\w-]+@[0-9a-f]{40}$/);
        if (s.uses?.startsWith('actions/checkout@'))
          expect(s.with?.['persist-credentials']).toBe(false);
      }
  });
});

describe('the checks', () => {
  it('catch the defects of the workflows as they were committed', () => {
    const old = [
      'daily.yml',
      'emergency-scale.yml',
      'maintenance-daily.yml',
    ].flatMap((file) => {
      const text = committed(`.github/workflows/${file}`);
      return text === undefined
        ? []
        : [{ file, text, wf: parseWorkflow(text) }];
    });
    if (old.length < 3) return; // once committed, the old files are gone from HEAD
    const problems = lintWorkflows(old, actions);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/daily\.yml:\d+: secrets: inherit/),
        'emergency-scale.yml plan: no timeout-minutes',
        'emergency-scale.yml apply: no timeout-minutes',
        expect.stringMatching(
          /^maintenance-daily\.yml health: step health: \.\/actions\/health: a local action of a reusable workflow resolves in the caller's workspace/,
        ),
      ]),
    );
  });

  it('refuse a mutating step, or the write credential, outside an environment', () => {
    const text = `
name: bad
on: {workflow_call: {secrets: {KUBECONFIG_WRITE: {required: false}}}}
permissions: {}
jobs:
  pqc-ops:
    runs-on: ubuntu-latest
    timeout-minutes: 1
    permissions: {}
    steps: [{run: 'true'}]
  apply:
    needs: pqc-ops
    runs-on: ubuntu-latest
    timeout-minutes: 5
    permissions: {contents: read, issues: write}
    steps:
      - uses: actions/checkout@${PINNED['actions/checkout']?.sha} # v7.0.1
        with: {repository: '\${{ needs.pqc-ops.outputs.repository }}', ref: '\${{ needs.pqc-ops.outputs.sha }}', path: .pqc-ops}
      - uses: ./.pqc-ops/actions/scale
        with: {kubeconfig: '\${{ secrets.KUBECONFIG_WRITE }}', replicas: '3', mode: apply, colour: red}
      - uses: ./.pqc-ops/actions/health
        with: {self-heal: true}
      - run: echo "\${{ inputs.x }}"
      - uses: actions/setup-node@v4
`;
    expect(
      lintWorkflows(
        [{ file: 'bad.yml', text, wf: parseWorkflow(text) }],
        actions,
      ),
    ).toEqual([
      expect.stringMatching(
        /^bad\.yml:\d+: actions\/setup-node@v4 is not pinned to a commit SHA$/,
      ),
      'bad.yml apply: step 4: inputs.x is not an input',
      'bad.yml apply: issues: write outside the log job',
      'bad.yml apply: KUBECONFIG_WRITE in a job without an environment',
      'bad.yml apply: step 2: scale has no input colour',
      'bad.yml apply: step 2: scale can change the target, in a job without an environment',
      'bad.yml apply: step 3: health can change the target, in a job without an environment',
      'bad.yml apply: step 4: ${{ }} inside run:',
      'bad.yml -: no log job (maintenance-log)',
    ]);
  });
});

describe('the expressions', () => {
  const ctx = {
    inputs: { n: 0, s: 'Unhealthy', b: true, json: '"ubuntu-latest"' },
    secrets: { A: '', B: 'b' },
    needs: { health: { result: 'failure', outputs: { status: 'unhealthy' } } },
  };
  it.each([
    ["needs.health.outputs.status == 'UNHEALTHY'", true],
    ['secrets.A || secrets.B', 'b'],
    ["!secrets.A && 'selector' || ''", 'selector'],
    ["secrets.B && 'x' || 'none'", 'x'],
    ['fromJSON(inputs.json)', 'ubuntu-latest'],
    ["inputs.b && needs.health.outputs.status != '0'", true],
    ["inputs.missing != ''", false],
    ['inputs.missing == 0', true],
    ['inputs.n == 0 && inputs.n == false', true],
    ["format('{0}-{1}', inputs.s, inputs.n)", 'Unhealthy-0'],
    ["fromJSON(toJSON(needs)).health['result']", 'failure'],
  ])('%s', (expr, want) => {
    expect(evaluate(expr, ctx)).toEqual(want);
  });
  it('keeps the type of a lone expression and stringifies mixed text', () => {
    expect(interpolate('${{ inputs.b }}', ctx)).toBe(true);
    expect(interpolate('x-${{ inputs.b }}-${{ inputs.n }}', ctx)).toBe(
      'x-true-0',
    );
  });
});
