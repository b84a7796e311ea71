import { createHash } from 'node:crypto';
import type { Kube } from '../../kube/client.js';
import { KubeError } from '../../kube/errors.js';
import type { StateRef } from '../../plan/plan.js';
import type { PgEndpoint } from '../../postgres/endpoint.js';
import { countTablesNow, psqlLines } from '../../postgres/tools.js';
import { runToEnd, type CommandRunner } from '../../process/runner.js';

// The catalog, plus every user table's cumulative write counters: a row
// count misses an UPDATE, or an INSERT and a DELETE that cancel out, but
// n_tup_ins / n_tup_upd / n_tup_del move with every write. (Not n_live_tup,
// n_dead_tup or the scan counters: vacuum, analyze and reads move those.)
const CATALOG_SQL = `SELECT json_build_object('version', current_setting('server_version_num'), 'objects', (
  SELECT coalesce(json_agg(x ORDER BY x), '[]') FROM (
    SELECT format('%s %I.%I', c.relkind, n.nspname, c.relname) AS x FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' AND c.relkind IN ('r','p','v','m','S','i')) s),
  'writes', (
  SELECT coalesce(json_agg(w ORDER BY w), '[]') FROM (
    SELECT format('%I.%I ins=%s upd=%s del=%s', s.schemaname, s.relname, s.n_tup_ins, s.n_tup_upd, s.n_tup_del) AS w
    FROM pg_stat_user_tables s WHERE s.schemaname NOT LIKE 'pg\\_%') t));
`;

/**
 * The database's state for a plan: a hash of its catalog (tables, views,
 * sequences, indexes, server version), every table's row count and every
 * table's write counters (rows inserted, updated, deleted, from
 * pg_stat_user_tables). So the drift check catches a schema change, a change
 * of row count, and also an UPDATE, or an INSERT and DELETE, that keep the
 * counts: any write published to the statistics since the plan (a session's
 * counters are published when it ends, or within about 10 s of idle). A
 * statistics reset also counts as drift; with track_counts off the counters
 * stay 0 and only the catalog and row counts are compared.
 */
export async function databaseState(
  ep: PgEndpoint,
  counts: () => Promise<{ schema: string; table: string; rows: number }[]>,
): Promise<StateRef & { objects: string[] }> {
  const cat = JSON.parse((await psqlLines(ep, CATALOG_SQL))[0] ?? '{}') as {
    version: string;
    objects: string[];
    writes: string[];
  };
  const rows = await counts();
  const version = createHash('sha256')
    .update(JSON.stringify({ cat, rows }))
    .digest('hex');
  return {
    object: `database ${ep.database}`,
    versionKind: 'sha256',
    version,
    objects: cat.objects,
  };
}

/** A ConfigMap or Secret's uid and resourceVersion, or `absent`. */
export async function objectState(
  kube: Kube,
  kind: 'ConfigMap' | 'Secret',
  namespace: string,
  name: string,
): Promise<StateRef & { exists: boolean }> {
  const object = `${kind} ${namespace}/${name}`;
  try {
    const o =
      kind === 'ConfigMap'
        ? await kube.call(`read ${object}`, () =>
            kube.core.readNamespacedConfigMap({ name, namespace }),
          )
        : await kube.call(`read ${object}`, () =>
            kube.core.readNamespacedSecret({ name, namespace }),
          );
    return {
      object,
      uid: o.metadata?.uid,
      versionKind: 'resourceVersion',
      version: o.metadata?.resourceVersion ?? '',
      exists: true,
    };
  } catch (e) {
    if (e instanceof KubeError && e.code === 404)
      return { object, versionKind: 'value', version: 'absent', exists: false };
    throw e;
  }
}

/** A directory's state: the hash of its listing (names, sizes, mtimes). */
export async function pathState(
  runner: CommandRunner,
  path: string,
): Promise<StateRef & { files: number }> {
  const r = await runToEnd(
    runner,
    ['find', path, '-mindepth', '1', '-printf', '%P\\t%y\\t%s\\t%T@\\n'],
    { timeoutMs: 300_000, maxBytes: 256 * 1024 * 1024 },
  );
  if (r.exitCode !== 0)
    throw new Error(
      `listing ${path} in ${runner.where} failed: ${r.stderr.trim().split('\n').pop() ?? ''}`,
    );
  const lines = r.stdout.split('\n').filter(Boolean).sort();
  return {
    object: `path ${path} in ${runner.where}`,
    versionKind: 'sha256',
    version: createHash('sha256').update(lines.join('\n')).digest('hex'),
    files: lines.length,
  };
}

/** Everything a restore would replace, with a note for the plan. */
export async function targetState(t: {
  ep?: PgEndpoint;
  kube?: Kube;
  namespace: string;
  objects: { kind: 'ConfigMap' | 'Secret'; name: string }[];
  app?: CommandRunner;
  appPath: string;
  archiveTables: number;
}): Promise<(StateRef & { note: string })[]> {
  const refs: (StateRef & { note: string })[] = [];
  const ep = t.ep;
  if (ep) {
    const s = await databaseState(ep, () => countTablesNow(ep));
    refs.push({
      object: s.object,
      versionKind: s.versionKind,
      version: s.version,
      note: `${s.objects.length} object(s) now; the archive has ${t.archiveTables} table(s)`,
    });
  }
  for (const { kind, name } of t.objects) {
    if (!t.kube) throw new Error('restoring configuration needs a cluster');
    const s = await objectState(t.kube, kind, t.namespace, name);
    refs.push({
      object: s.object,
      uid: s.uid,
      versionKind: s.versionKind,
      version: s.version,
      note: s.exists ? 'replace' : 'create',
    });
  }
  if (t.app) {
    const s = await pathState(t.app, t.appPath);
    refs.push({
      object: s.object,
      versionKind: s.versionKind,
      version: s.version,
      note: `${s.files} entr(ies) now`,
    });
  }
  return refs;
}
