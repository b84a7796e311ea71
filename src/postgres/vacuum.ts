import { runPsql as psql, type PgEndpoint } from './endpoint.js';

/** Dead and live tuples of one table, as pg_stat_user_tables counts them. */
export interface TableTuples {
  schema: string;
  table: string;
  dead: number;
  live: number;
}

/** The database's identity and its tables' tuple counts. */
export interface TupleStats {
  /** The database's oid: a database dropped and recreated has another. */
  oid: string;
  serverVersion: string;
  tables: TableTuples[];
}

/** What one VACUUM (ANALYZE) did. */
export interface VacuumOutcome {
  before: TupleStats;
  after: TupleStats;
  /** Time VACUUM (ANALYZE) took, measured by the server. */
  ms: number;
  /** The server's warnings (tables the user may not vacuum). */
  warnings: string[];
}

/**
 * The only maintenance statement this module sends. VACUUM FULL (which
 * rewrites every table under an exclusive lock) is never run.
 */
export const VACUUM_SQL = 'VACUUM (ANALYZE);';

const STATS_SQL = (tag: string) =>
  `SELECT pg_stat_clear_snapshot();
SELECT '${tag} ' || json_build_object('s', schemaname, 't', relname, 'dead', n_dead_tup, 'live', n_live_tup) FROM pg_stat_user_tables ORDER BY schemaname, relname;`;

const INFO_SQL = `SELECT 'info ' || json_build_object('oid', oid::text, 'version', current_setting('server_version')) FROM pg_database WHERE datname = current_database();`;

function parseStats(lines: string[], tag: string): TableTuples[] {
  return lines
    .filter((l) => l.startsWith(`${tag} `))
    .map((l) => {
      const o = JSON.parse(l.slice(tag.length + 1)) as {
        s: string;
        t: string;
        dead: number;
        live: number;
      };
      return {
        schema: o.s,
        table: o.t,
        dead: Number(o.dead),
        live: Number(o.live),
      };
    });
}

function parseInfo(lines: string[]): { oid: string; serverVersion: string } {
  const l = lines.find((x) => x.startsWith('info '));
  if (!l) throw new Error('psql did not report the database');
  const o = JSON.parse(l.slice(5)) as { oid: string; version: string };
  return { oid: o.oid, serverVersion: o.version };
}

/** Reads the tuple counts of every user table. Changes nothing. */
export async function readTupleStats(
  ep: PgEndpoint,
  timeoutMs: number,
): Promise<TupleStats> {
  const { lines } = await psql(
    ep,
    `${INFO_SQL}\n${STATS_SQL('t')}\n`,
    timeoutMs,
  );
  return { ...parseInfo(lines), tables: parseStats(lines, 't') };
}

/**
 * VACUUM (ANALYZE) on the whole database in one psql session: the tuple
 * counts before, the statement timed by the server, the counts after (the
 * statistics snapshot cleared first, so they are the server's current ones).
 */
export async function vacuumAnalyze(
  ep: PgEndpoint,
  timeoutMs: number,
): Promise<VacuumOutcome> {
  const sql = [
    INFO_SQL,
    STATS_SQL('before'),
    "SELECT 'start ' || (extract(epoch FROM clock_timestamp()) * 1000)::bigint;",
    VACUUM_SQL,
    "SELECT 'end ' || (extract(epoch FROM clock_timestamp()) * 1000)::bigint;",
    STATS_SQL('after'),
    '',
  ].join('\n');
  const { lines, stderr } = await psql(ep, sql, timeoutMs);
  const info = parseInfo(lines);
  const at = (tag: string) =>
    Number(lines.find((l) => l.startsWith(`${tag} `))?.slice(tag.length + 1));
  return {
    before: { ...info, tables: parseStats(lines, 'before') },
    after: { ...info, tables: parseStats(lines, 'after') },
    ms: Math.max(0, at('end') - at('start')),
    warnings: stderr
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /^WARNING/.test(l)),
  };
}
