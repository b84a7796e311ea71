// `npm run sandbox`: a simulated cluster (kube-sim seeded with the PQC audit
// Deployment, a PostgreSQL pod and certificates), a real PostgreSQL and a real
// Pushgateway; runs `pqc-ops daily` against them through the real CLI bundle
// (dist/, or $PQC_OPS_DIST), prints what it printed, then runs
// `pqc-ops maintenance-log --comment-on none` over the chain's results, stops
// everything and prints the maintenance log last.
// Missing peers are installed the way the test command does it
// (scripts/install-test-deps.sh, as root, unless PQC_OPS_SANDBOX_NO_INSTALL=1);
// without a Pushgateway it runs without metrics and says so. Encryption needs
// no `age` program: the CLI encrypts with the age-encryption package.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { startKubeSim } from '../test/kube-sim/index.js';
import {
  pgBinDir,
  startHttpEndpoint,
  startPostgres,
  startPushgateway,
} from '../test/services/index.js';

const root = new URL('..', import.meta.url).pathname;
const dist = process.env['PQC_OPS_DIST'] ?? join(root, 'dist');
const ns = 'pqc-audit';

const step = (m: string) => process.stderr.write(`sandbox: ${m}\n`);

/** Runs the CLI bundle; with 'pipe', returns what it printed on stdout. */
function cli(
  args: string[],
  env: NodeJS.ProcessEnv,
  stdout: 'inherit' | 'pipe',
): Promise<{ code: number; markdown: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', stdout, 'inherit'],
      env,
      // its plans and results (./pqc-ops-plans, ./pqc-ops-results) stay out of the checkout
      cwd: env['RUNNER_TEMP'],
    });
    let markdown = '';
    child.stdout?.on('data', (d: Buffer) => (markdown += String(d)));
    child.on('close', (c) => resolve({ code: c ?? 1, markdown }));
  });
}

/** Whether a program can be run: a path, or a name found on PATH. */
function runnable(program: string): boolean {
  const candidates = program.includes('/')
    ? [program]
    : (process.env['PATH'] ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, program));
  return candidates.some((f) => {
    try {
      accessSync(f, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function hasPostgres(): boolean {
  try {
    pgBinDir();
  } catch {
    return false;
  }
  return runnable('pg_dump') && runnable('psql');
}

const pushgatewayBin =
  process.env['PUSHGATEWAY_BIN'] ?? 'prometheus-pushgateway';

/** Installs missing peers when it can; says why not when it cannot. */
function ensurePeers(): { pushgateway: boolean; why: string } {
  if (runnable(pushgatewayBin) && hasPostgres())
    return { pushgateway: true, why: '' };
  let why: string;
  if (process.env['PQC_OPS_SANDBOX_NO_INSTALL'] === '1')
    why = 'PQC_OPS_SANDBOX_NO_INSTALL=1, so nothing is installed';
  else if (process.getuid?.() !== 0)
    why =
      'not root, so nothing is installed (`sudo bash scripts/install-test-deps.sh` installs it)';
  else {
    step('installing missing peers with scripts/install-test-deps.sh...');
    // Its exit status also reports kubectl, which the sandbox does not need.
    spawnSync('bash', [join(root, 'scripts', 'install-test-deps.sh')], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    why = 'scripts/install-test-deps.sh did not install it';
  }
  if (!hasPostgres()) {
    step(
      `PostgreSQL 15 (server binaries under /usr/lib/postgresql, pg_dump and psql on PATH) is missing: ${why}.`,
    );
    process.exit(1);
  }
  return { pushgateway: runnable(pushgatewayBin), why };
}

const peers = ensurePeers();
if (!peers.pushgateway)
  step(
    `running WITHOUT the Pushgateway: ${pushgatewayBin} is not installed (${peers.why}); backup metrics are not pushed.`,
  );
if (!runnable('age'))
  step(
    'the age program is not installed; not needed: the backup is encrypted with the age-encryption package.',
  );

step(
  `starting PostgreSQL, ${peers.pushgateway ? 'the Pushgateway, ' : ''}an HTTP endpoint and the API simulator...`,
);
const [pg, push, app] = await Promise.all([
  startPostgres(),
  peers.pushgateway ? startPushgateway() : undefined,
  startHttpEndpoint(),
]);
const sim = await startKubeSim({
  manifests: [join(root, 'test', 'kube-sim', 'fixtures')],
});
let code: number;
let log: { code: number; markdown: string };
try {
  await pg.createDatabase('pqc_audit');
  await pg.psql(
    "CREATE TABLE scans (id serial PRIMARY KEY, host text, algorithm text, at timestamptz DEFAULT now()); INSERT INTO scans (host, algorithm) SELECT 'host-' || g, 'ML-KEM-768' FROM generate_series(1, 500) g;",
    'pqc_audit',
  );
  // The application pods get the WebAssembly build of liboqs and a self-test,
  // as a Node application would ship them.
  const d = sim.get('apps/v1', 'Deployment', ns, 'pqc-audit');
  const spec = d.spec.template.spec;
  spec.volumes = [
    ...(spec.volumes ?? []),
    { name: 'selftest', hostPath: { path: join(root, 'test', 'fixtures') } },
    {
      name: 'liboqs',
      hostPath: { path: join(root, 'node_modules', '@oqs', 'liboqs-js') },
    },
  ];
  spec.containers[0].volumeMounts = [
    ...(spec.containers[0].volumeMounts ?? []),
    { name: 'selftest', mountPath: '/opt/selftest', readOnly: true },
    { name: 'liboqs', mountPath: '/opt/liboqs-js', readOnly: true },
  ];
  sim.apply(d);
  await sim.settle();
  for (const p of sim.list('v1', 'Pod', ns)) {
    sim.setPodMetrics(ns, p.metadata.name, [
      { name: p.spec.containers[0].name, cpu: '180m', memory: '210Mi' },
    ]);
  }
  app.respond('/health', { status: 200, body: '{"status":"ok"}' });
  const backups = mkdtempSync(join(tmpdir(), 'pqc-ops-sandbox-backups-'));
  // Backups hold the namespace's Secrets: encrypt them to a throwaway key.
  const age = await import('age-encryption');
  const recipient = await age.identityToRecipient(await age.generateIdentity());
  const args = [
    join(dist, 'cli', 'index.js'),
    'daily',
    '--kubeconfig',
    sim.kubeconfigPath,
    '--health-url',
    `${app.url}/health`,
    '--crypto-check',
    'command',
    '--crypto-command',
    JSON.stringify([
      'node',
      '/opt/selftest/oqs-selftest.mjs',
      '/opt/liboqs-js/src/index.js',
      'ML-KEM-768',
      'ML-DSA-65',
    ]),
  ];
  // One RUNNER_TEMP for the chain and the log, as in one job: the log reads
  // the chain's results from $RUNNER_TEMP/pqc-ops/results.
  const env = {
    ...process.env,
    PQC_OPS_DATABASE_URL: pg.url('pqc_audit'),
    PQC_OPS_DESTINATION: backups,
    // The sandbox has no app data volume: back up what it has.
    PQC_OPS_INCLUDE: 'database,config',
    ...(push ? { PQC_OPS_PUSHGATEWAY_URL: push.url } : {}),
    PQC_OPS_AGE_RECIPIENTS: recipient,
    RUNNER_TEMP: mkdtempSync(join(tmpdir(), 'pqc-ops-sandbox-')),
  };
  step(`running: pqc-ops daily --kubeconfig ${sim.kubeconfigPath} ...`);
  code = (await cli(args, env, 'inherit')).code;
  step(`pqc-ops daily exited ${code}`);
  step(`backup archives: ${readdirSync(backups).join(', ') || 'none'}`);
  step(
    push
      ? `Pushgateway: pqc_backup_success ${String(await push.sample('pqc_backup_success'))}, pqc_health_status ${String(await push.sample('pqc_health_status'))}`
      : 'Pushgateway: none (ran without it; no metrics were pushed)',
  );
  step('running: pqc-ops maintenance-log --comment-on none ...');
  log = await cli(
    [
      join(dist, 'cli', 'index.js'),
      'maintenance-log',
      '--comment-on',
      'none',
      '--cadence',
      'daily',
      '--environment',
      'sandbox',
    ],
    env,
    'pipe',
  );
  step(`pqc-ops maintenance-log exited ${log.code}`);
} finally {
  step('stopping everything...');
  await Promise.allSettled([
    sim.close(),
    pg.destroy(),
    push?.stop(),
    app.close(),
  ]);
}
step('the maintenance log:');
process.stdout.write(log.markdown);
process.exitCode = code !== 0 ? code : log.code;
