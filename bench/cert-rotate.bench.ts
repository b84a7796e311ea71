// cert-rotate benchmark: scan and plan over 10,000 Certificates in 500
// namespaces with their Secrets, against kube-sim, as the runner runs the
// bundle (spawn to exit). Baselines measured in the same run: `kubectl get
// certificates,secrets -A -o json` (the runbook's listing, which reads no
// certificate and plans nothing) and the same bundle over 20 Certificates.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeSim, type KubeSim } from '../test/kube-sim/index.js';
import { actionEnv, timed } from './measure.js';
import type { BenchReport, BenchRow } from './run.js';

const root = new URL('..', import.meta.url).pathname;
const DAY = 86_400_000;

/** Ten real certificates (RSA and ECDSA) expiring 5 to 320 days from now. */
function makeCerts(dir: string): { pem: string; notAfter: string }[] {
  const out: { pem: string; notAfter: string }[] = [];
  for (let i = 0; i < 10; i++) {
    const days = 5 + i * 35;
    const key = i % 2 ? 'ec:' : 'rsa:2048';
    const ecParams = join(dir, 'ec.pem');
    if (i % 2)
      execFileSync('openssl', [
        'ecparam',
        '-name',
        'prime256v1',
        '-out',
        ecParams,
      ]);
    const crt = join(dir, `c${i}.pem`);
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-nodes',
        '-newkey',
        i % 2 ? `ec:${ecParams}` : key,
        '-keyout',
        join(dir, `k${i}.pem`),
        '-out',
        crt,
        '-days',
        String(days),
        '-subj',
        `/CN=bench-${i}`,
      ],
      { stdio: 'ignore' },
    );
    const pem = readFileSync(crt, 'utf8');
    const notAfter = new Date(new X509Certificate(pem).validTo)
      .toISOString()
      .replace(/\.\d+Z$/, 'Z');
    out.push({ pem, notAfter });
  }
  return out;
}

/** `namespaces` namespaces of `perNs` issued Certificates, each with its TLS Secret. */
async function cluster(
  namespaces: number,
  perNs: number,
  certs: { pem: string; notAfter: string }[],
): Promise<KubeSim> {
  const objects: object[] = [];
  let n = 0;
  for (let s = 0; s < namespaces; s++) {
    const ns = `team-${s}`;
    objects.push({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns },
    });
    for (let c = 0; c < perNs; c++, n++) {
      const leaf = certs[n % certs.length];
      objects.push(
        {
          apiVersion: 'cert-manager.io/v1',
          kind: 'Certificate',
          metadata: { name: `svc-${c}`, namespace: ns },
          spec: {
            secretName: `svc-${c}-tls`,
            dnsNames: [`svc-${c}.${ns}.example`],
            issuerRef: { name: 'ca', kind: 'ClusterIssuer' },
          },
          status: {
            notBefore: new Date(Date.now() - DAY)
              .toISOString()
              .replace(/\.\d+Z$/, 'Z'),
            notAfter: leaf.notAfter,
            revision: 1,
            conditions: [{ type: 'Ready', status: 'True', reason: 'Ready' }],
          },
        },
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: `svc-${c}-tls`, namespace: ns },
          type: 'kubernetes.io/tls',
          data: {
            'tls.crt': Buffer.from(leaf.pem).toString('base64'),
            'tls.key': Buffer.from('bench: no key').toString('base64'),
          },
        },
      );
    }
  }
  return startKubeSim({ objects });
}

function requests(sim: KubeSim): Record<string, number> {
  const count = (re: RegExp) =>
    sim.journal.filter((j) => j.method === 'GET' && re.test(j.path)).length;
  return {
    'certificate lists': count(/\/certificates$/),
    'secret lists': count(/\/secrets$/),
    'single GETs': count(/\/(certificates|secrets)\/[^/]+$/),
  };
}

/** Runs the benchmark. */
export async function run(): Promise<BenchReport> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-cert-'));
  const rows: BenchRow[] = [];
  const certs = makeCerts(dir);
  const node = process.execPath;
  const bundle = join(
    process.env['PQC_OPS_DIST'] ?? join(root, 'dist'),
    'cert-rotate',
    'index.js',
  );
  try {
    for (const [namespaces, perNs] of [
      [4, 5],
      [500, 20],
    ] as const) {
      const total = namespaces * perNs;
      const sim = await cluster(namespaces, perNs, certs);
      // Baseline: the runbook's listing with the real kubectl (500 per page).
      sim.clearJournal();
      const k = await timed(
        [
          'kubectl',
          '--kubeconfig',
          sim.kubeconfigPath,
          'get',
          'certificates.cert-manager.io,secrets',
          '-A',
          '-o',
          'json',
        ],
        process.env,
      );
      rows.push({
        case: `kubectl get certificates,secrets -A -o json, ${total} of each (exit ${k.code})`,
        ms: k.ms.toFixed(0),
        'peak RSS MiB': k.rssMiB.toFixed(0),
        ...requests(sim),
      });
      sim.clearJournal();
      const r = await timed(
        [node, bundle],
        actionEnv(dir, { kubeconfig: sim.kubeconfigPath, namespaces: '*' }),
      );
      const out = readFileSync(join(dir, 'out'), 'utf8');
      const due = /due<<[^\n]*\n(\d+)/.exec(out)?.[1] ?? '?';
      rows.push({
        case: `cert-rotate scan + plan, ${total} Certificates in ${namespaces} namespaces (exit ${r.code}, ${due} due)`,
        ms: r.ms.toFixed(0),
        'vs kubectl': `${(r.ms / k.ms).toFixed(2)}x`,
        'peak RSS MiB': r.rssMiB.toFixed(0),
        ...requests(sim),
      });
      await sim.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    title: 'cert-rotate: scan and plan over 10,000 Certificates',
    command: 'npm run bench -- cert-rotate',
    rows,
    notes: [
      'Wall time from spawn to exit of `node dist/cert-rotate/index.js` (plan mode, `namespaces: *`): one cluster-wide list of Certificates and one of TLS Secrets, 500 per page, every `tls.crt` parsed (key and signature algorithm, expiry), the plan and the summary written. kubectl only lists and prints JSON.',
    ],
  };
}
