import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { executeProcedure, type Execution } from '../../src/execute.js';
import type { Logger, Procedure } from '../../src/procedure.js';
import type { PgServer } from '../services/postgres.js';

/** Creates a database with schemas, indexes, a sequence, a view and non-ASCII data. */
export async function seedDatabase(
  pg: PgServer,
  db: string,
  rows = 500,
): Promise<void> {
  await pg.createDatabase(db);
  await pg.psql(
    `
CREATE SCHEMA app;
CREATE TABLE app.findings (id bigserial PRIMARY KEY, host text NOT NULL, algorithm text NOT NULL, note text, found_at timestamptz NOT NULL DEFAULT '2024-01-01T00:00:00Z');
CREATE INDEX findings_host_idx ON app.findings (host);
CREATE TABLE public.scans (id serial PRIMARY KEY, name text UNIQUE NOT NULL, payload jsonb);
CREATE TABLE public."Mixed Case ✓" (k text PRIMARY KEY, v bytea);
CREATE TABLE public.empty_table (x int);
CREATE SEQUENCE public.ticket_seq START 1000;
SELECT nextval('public.ticket_seq') FROM generate_series(1, 7);
CREATE VIEW app.summary AS SELECT algorithm, count(*) AS n FROM app.findings GROUP BY algorithm;
INSERT INTO app.findings (host, algorithm, note)
  SELECT 'host-' || (i % 37), (ARRAY['RSA-2048','ECDSA-P256','ML-KEM-768','ML-DSA-65'])[1 + i % 4], 'Ünïcödé ✓ 量子耐性 🔐 ' || i FROM generate_series(1, ${rows}) i;
INSERT INTO public.scans (name, payload) SELECT 'scan-' || i, jsonb_build_object('i', i, 'ok', i % 2 = 0, 'txt', 'ß€') FROM generate_series(1, 50) i;
INSERT INTO public."Mixed Case ✓" VALUES ('ключ', '\\xdeadbeef'), ('鍵', NULL);
`,
    db,
  );
}

/** A fingerprint of every table's content, and the sequence's value. */
export async function fingerprint(
  pg: PgServer,
  db: string,
): Promise<Record<string, string>> {
  const tables = (
    await pg.psql(
      `SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`,
      db,
    )
  )
    .split('\n')
    .filter(Boolean);
  const out: Record<string, string> = {};
  for (const t of tables) {
    out[t] = await pg.psql(
      `SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, E'\\n' ORDER BY x::text)), '') FROM ${t} x`,
      db,
    );
  }
  out['ticket_seq'] = await pg.psql(
    'SELECT last_value FROM public.ticket_seq',
    db,
  );
  out['view'] = await pg.psql(
    "SELECT string_agg(algorithm || n, ',' ORDER BY algorithm) FROM app.summary",
    db,
  );
  out['indexes'] = await pg.psql(
    "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE schemaname IN ('app', 'public')",
    db,
  );
  return out;
}

/** Runs a procedure in-process as an adapter would; collects the log and masked values. */
export async function runProcedure(
  p: Procedure,
  inputs: Record<string, string>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Execution & { logs: string[]; masked: string[] }> {
  const logs: string[] = [];
  const masked: string[] = [];
  const log: Logger = {
    info: (m) => logs.push(m),
    warning: (m) => logs.push(`warning: ${m}`),
    error: (m) => logs.push(`error: ${m}`),
    debug: (m) => logs.push(`debug: ${m}`),
    group: (_n, fn) => fn(),
  };
  const ex = await executeProcedure(p, {
    getInput: (n) => inputs[n] ?? '',
    mask: (s) => masked.push(s),
    log,
    env,
  });
  return { ...ex, logs, masked };
}

/** Runs a command to completion; resolves with stdout as a Buffer. */
export function run(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: Buffer | string; cwd?: string } = {},
): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd });
    const out: Buffer[] = [];
    let err = '';
    c.stdout.on('data', (d: Buffer) => out.push(d));
    c.stderr.on('data', (d: Buffer) => (err += String(d)));
    c.on('error', reject);
    c.on('close', (code) =>
      resolve({ code: code ?? 1, stdout: Buffer.concat(out), stderr: err }),
    );
    c.stdin.on('error', () => undefined);
    c.stdin.end(opts.input ?? '');
  });
}

/** Every file under a directory, recursively. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

/** Whether any of `needles` occurs in any file under the directories. */
export function findLeaks(dirs: string[], needles: string[]): string[] {
  const hits: string[] = [];
  for (const d of dirs) {
    for (const f of filesUnder(d)) {
      const data = readFileSync(f);
      for (const n of needles)
        if (data.includes(Buffer.from(n)))
          hits.push(`${f} contains ${n.slice(0, 6)}...`);
    }
  }
  return hits;
}
