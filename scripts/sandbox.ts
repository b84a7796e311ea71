// `npm run sandbox`: a simulated cluster (kube-sim seeded with the PQC audit
// Deployment, a PostgreSQL pod and certificates), a real PostgreSQL and a real
// Pushgateway; runs `pqc-ops daily` against them through the real CLI bundle,
// prints what it printed, and stops everything.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeSim } from '../test/kube-sim/index.js';
import {
  startHttpEndpoint,
  startPostgres,
  startPushgateway,
} from '../test/services/index.js';

const root = new URL('..', import.meta.url).pathname;
const ns = 'pqc-audit';

const step = (m: string) => process.stderr.write(`sandbox: ${m}\n`);

step('starting PostgreSQL, the Pushgateway and the API simulator...');
const [pg, push, app] = await Promise.all([
  startPostgres(),
  startPushgateway(),
  startHttpEndpoint(),
]);
const sim = await startKubeSim({
  manifests: [join(root, 'test', 'kube-sim', 'fixtures')],
});
let code: number;
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
    join(root, 'dist', 'cli', 'index.js'),
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
  step(`running: pqc-ops daily --kubeconfig ${sim.kubeconfigPath} ...`);
  code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, args, {
      stdio: 'inherit',
      env: {
        ...process.env,
        PQC_OPS_DATABASE_URL: pg.url('pqc_audit'),
        PQC_OPS_DESTINATION: backups,
        PQC_OPS_PUSHGATEWAY_URL: push.url,
        PQC_OPS_AGE_RECIPIENTS: recipient,
        RUNNER_TEMP: mkdtempSync(join(tmpdir(), 'pqc-ops-sandbox-')),
      },
    });
    child.on('close', (c) => resolve(c ?? 1));
  });
  step(`pqc-ops daily exited ${code}`);
  step(`backup archives: ${readdirSync(backups).join(', ') || 'none'}`);
  step(
    `Pushgateway: pqc_backup_success ${String(await push.sample('pqc_backup_success'))}`,
  );
} finally {
  step('stopping everything...');
  await Promise.allSettled([
    sim.close(),
    pg.destroy(),
    push.stop(),
    app.close(),
  ]);
}
process.exitCode = code;
