// Every inventory input refused when bad, before the cluster hears a
// request: the error names the input and the accepted form (a bad policy
// file says where in the file it is wrong). And the policy's rules, table by
// table.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inventory } from '../../../src/procedures/inventory/procedure.js';
import {
  judge,
  loadPolicy,
  normalizePackage,
  normalizeRepository,
  parsePolicy,
  PRODUCTS,
} from '../../../src/procedures/inventory/policy.js';
import { root } from '../../helpers/bundle.js';
import { runProcedure } from '../../helpers/procedure.js';

const dir = mkdtempSync(join(tmpdir(), 'pqc-ops-inventory-inputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const FORM =
  /expected a YAML policy \(the path of a file, or the YAML itself on several lines or as \{\.\.\.\}\) with sections kubernetes, postgresql, cert-manager, prometheus, images \(by repository\) and python-packages \(by name\)/;

const cases: [string, Record<string, string>, RegExp][] = [
  [
    'policy: no such file',
    { policy: join(dir, 'missing.yaml') },
    /input 'policy' has an invalid value ".*missing\.yaml" \(no such file\)/,
  ],
  [
    'policy: a directory',
    { policy: dir },
    /input 'policy'.*\(a directory, not a file\)/,
  ],
  [
    'policy: not YAML',
    { policy: file('bad.yaml', 'kubernetes: [\n') },
    /input 'policy'.*\(not YAML: /,
  ],
  [
    'policy: a list',
    { policy: file('list.yaml', '- kubernetes\n') },
    /input 'policy'.*\(expected a mapping of sections\)/,
  ],
  [
    'policy: unknown section',
    { policy: file('typo.yaml', 'kubernets: {}\n') },
    /input 'policy'.*\(unknown section "kubernets" \(accepted: kubernetes, postgresql, cert-manager, prometheus, images, python-packages\)\)/,
  ],
  [
    'policy: unknown key',
    { policy: file('key.yaml', "postgresql:\n  eol: {'15': 2027-11-11}\n") },
    /input 'policy'.*\(postgresql: unknown key "eol" \(accepted: minimum, end-of-life\)\)/,
  ],
  [
    'policy: bad date',
    {
      policy: file(
        'date.yaml',
        "postgresql:\n  end-of-life:\n    '15': 2027-02-30\n",
      ),
    },
    /input 'policy'.*\(postgresql\.end-of-life\.15: "2027-02-30" is not a date such as 2027-11-11\)/,
  ],
  [
    'policy: bad release',
    {
      policy: file(
        'release.yaml',
        'kubernetes:\n  end-of-life:\n    one: 2027-01-01\n',
      ),
    },
    /input 'policy'.*\(kubernetes\.end-of-life\.one: "one" is not a version such as '1\.33' or '15'\)/,
  ],
  [
    'policy: bad minimum',
    { policy: file('min.yaml', 'images:\n  postgres:\n    minimum: latest\n') },
    /input 'policy'.*\(images\.postgres\.minimum: "latest" is not a version/,
  ],
  [
    'policy: end-of-life not a mapping',
    { policy: file('eol.yaml', 'prometheus:\n  end-of-life: 2027-01-01\n') },
    /input 'policy'.*prometheus\.end-of-life: expected a mapping of release to date/,
  ],
  [
    'policy: duplicate key',
    { policy: file('dup.yaml', 'kubernetes: {}\nkubernetes: {}\n') },
    /input 'policy'.*\(not YAML: /,
  ],
  [
    'policy: inline, with a bad date',
    { policy: "postgresql:\n  end-of-life: {'15': soon}\n" },
    /input 'policy'.*\(postgresql\.end-of-life\.15: "soon" is not a date/,
  ],
  [
    'policy: inline flow mapping, unknown section',
    { policy: '{postgres: {}}' },
    /input 'policy'.*\(unknown section "postgres"/,
  ],
  [
    'horizon',
    { horizon: 'soon' },
    /input 'horizon'.*duration.*from 1d to 3650d/,
  ],
  [
    'horizon (too short)',
    { horizon: '1h' },
    /input 'horizon'.*from 1d to 3650d/,
  ],
  [
    'fail-on',
    { 'fail-on': 'expired' },
    /input 'fail-on'.*one of out-of-support, horizon, never/,
  ],
  [
    'namespaces',
    { namespaces: 'pqc-audit, Bad_NS' },
    /input 'namespaces'.*"Bad_NS" is not.*expected a list of namespace names/,
  ],
  ['selector', { selector: 'app in (' }, /input 'selector'.*label selector/],
  [
    'cert-manager',
    { 'cert-manager': 'cert-manager' },
    /input 'cert-manager'.*expected namespace\/deployment, or none/,
  ],
  [
    'cert-manager (three parts)',
    { 'cert-manager': 'a/b/c' },
    /input 'cert-manager'.*more than one \//,
  ],
  ['pip-command', { 'pip-command': '["pip", 3]' }, /input 'pip-command'/],
  ['pip-timeout', { 'pip-timeout': '0s' }, /input 'pip-timeout'.*duration/],
  [
    'prometheus-url',
    { 'prometheus-url': 'prometheus:9090' },
    /input 'prometheus-url'.*http/,
  ],
  [
    'prometheus-password alone',
    { 'prometheus-url': 'http://p:9090', 'prometheus-password': 'pw' },
    /'prometheus-username' and 'prometheus-password' go together/,
  ],
  [
    'database-url and postgres-selector',
    {
      'database-url': 'postgres://u@h/db',
      'postgres-selector': 'app=postgres',
    },
    /give either input 'database-url' or 'postgres-pod'\/'postgres-selector', not both/,
  ],
  [
    'pushgateway-url',
    { 'pushgateway-url': 'gw:9091' },
    /input 'pushgateway-url'.*http/,
  ],
];

describe('inventory bad input', () => {
  it.each(cases)('%s', async (_name, inputs, why) => {
    const r = await runProcedure(inventory, {
      kubeconfig: '/nonexistent/kubeconfig',
      ...inputs,
    });
    expect(r.failureKind).toBe('configuration');
    expect(r.failure).toMatch(why);
    if (inputs['policy']) expect(r.failure).toMatch(FORM);
    expect(r.failure?.split('\n')).toHaveLength(1);
    expect(r.result.status).toBe('failed');
  });
});

describe('the policy', () => {
  const DAY = 86_400_000;
  const now = Date.parse('2026-11-27T12:00:00Z');
  const p = parsePolicy(
    `
kubernetes:
  minimum: 1.30
  end-of-life:
    1.30: 2025-07-15
    1.34: 2026-10-27
    1.35: 2027-02-28
    1.36: 2027-06-28
postgresql:
  end-of-life:
    15: 2027-11-11
`,
    'test',
  );

  it('reads 1.30 as 1.30, not 1.3', () => {
    expect(p.products.kubernetes?.minimum?.text).toBe('1.30');
    expect(p.products.kubernetes?.endOfLife.map((e) => e.release)).toEqual([
      '1.30',
      '1.34',
      '1.35',
      '1.36',
    ]);
  });

  it.each([
    ['v1.29.9', 'below-minimum'],
    ['v1.30.14', 'end-of-life'],
    ['v1.34.1', 'end-of-life'],
    ['v1.35.2', 'end-of-life-soon'],
    ['v1.35.2-eks-4096722', 'end-of-life-soon'],
    ['v1.36.0', 'supported'],
    ['v1.33.5', 'unknown'],
    ['latest', 'unknown'],
  ])('Kubernetes %s is %s (horizon 100 days)', (v, kind) => {
    expect(judge(v, p.products.kubernetes, now, 100 * DAY).kind).toBe(kind);
  });

  it('counts the last day of support as supported', () => {
    const eol = Date.parse('2027-11-11T00:00:00Z');
    const rule = p.products.postgresql;
    expect(judge('15.18', rule, eol + DAY - 1, 0).kind).toBe('supported');
    expect(judge('15.18', rule, eol + DAY, 0).kind).toBe('end-of-life');
    const soon = judge('15.18', rule, eol - 29 * DAY, 90 * DAY);
    expect(soon).toMatchObject({ kind: 'end-of-life-soon', days: 30 });
  });

  it('names images and packages as their tools do', () => {
    expect(normalizeRepository('postgres')).toBe('docker.io/library/postgres');
    expect(normalizeRepository('bitnami/postgresql')).toBe(
      'docker.io/bitnami/postgresql',
    );
    expect(normalizeRepository('index.docker.io/library/postgres')).toBe(
      'docker.io/library/postgres',
    );
    expect(normalizeRepository('localhost:5000/app')).toBe(
      'localhost:5000/app',
    );
    expect(normalizeRepository('ghcr.io/org/app')).toBe('ghcr.io/org/app');
    expect(normalizePackage('Zope.Interface')).toBe('zope-interface');
  });

  it("accepts the README's example as written", () => {
    const readme = readFileSync(
      join(root, 'actions', 'inventory', 'README.md'),
      'utf8',
    );
    const example = /## The policy[\s\S]*?```yaml\n([\s\S]*?)```/.exec(
      readme,
    )?.[1];
    expect(example).toBeDefined();
    const p = parsePolicy(example ?? '', 'README');
    expect(p.images.get('docker.io/library/postgres')?.minimum?.text).toBe(
      '15',
    );
    expect(p.pythonPackages.has('cryptography')).toBe(true);
  });

  it('ships a default with Kubernetes minors and PostgreSQL majors, each dated', () => {
    const d = loadPolicy(undefined);
    expect(d.source).toBe('the default policy');
    expect(Object.keys(d.products).sort()).toEqual([...PRODUCTS].sort());
    const k = d.products.kubernetes?.endOfLife ?? [];
    const pg = d.products.postgresql?.endOfLife ?? [];
    expect(k.length).toBeGreaterThanOrEqual(5);
    expect(pg.map((e) => e.release)).toEqual([
      '13',
      '14',
      '15',
      '16',
      '17',
      '18',
    ]);
    // Later releases end later.
    for (const list of [k, pg])
      for (let i = 1; i < list.length; i++)
        expect(list[i].endsAtMs).toBeGreaterThan(list[i - 1].endsAtMs);
  });
});
