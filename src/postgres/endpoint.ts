import { lastError } from '../process/output.js';
import {
  runToEnd,
  type CommandRunner,
  type RunningCommand,
} from '../process/runner.js';
import { pgEnv, quoteIdent, urlHasPassword, type PgTarget } from './url.js';

/**
 * Where the PostgreSQL client tools run and how they reach the database: on
 * the runner with a URL (password in PGPASSWORD), or inside the database pod
 * through exec (the pod's own environment and socket supply the rest).
 */
export interface PgEndpoint {
  runner: CommandRunner;
  database: string;
  /** For messages: never holds a password. */
  describe: string;
  /** Connection arguments for one database of this server. */
  connArgs(database?: string): string[];
  env: Record<string, string>;
}

/**
 * An endpoint from a URL, tools on `runner` (normally the runner machine).
 * The URL goes on command lines, so it must hold no password (parsePgUrl
 * moves it to PGPASSWORD): one that does is refused before anything runs.
 */
export function urlEndpoint(t: PgTarget, runner: CommandRunner): PgEndpoint {
  // The message names neither the URL nor the password.
  if (urlHasPassword(t.url))
    throw new Error(
      'a database URL with a password was about to be put on a command line: parse it with parsePgUrl',
    );
  return {
    runner,
    database: t.database,
    describe: t.url,
    env: pgEnv(t),
    connArgs(db) {
      if (db === undefined || db === t.database) return ['-d', t.url];
      const u = new URL(t.url);
      u.pathname = `/${encodeURIComponent(db)}`;
      return ['-d', u.toString()];
    },
  };
}

/** An endpoint inside a pod: `-U user -d database`, the pod's env for the rest. */
export function podEndpoint(
  runner: CommandRunner,
  database: string,
  user: string,
): PgEndpoint {
  return {
    runner,
    database,
    describe: `database ${database} as ${user} in ${runner.where}`,
    env: {},
    connArgs: (db) => ['-U', user, '-d', db ?? database],
  };
}

/** psql flags for machine-readable, stop-on-error sessions. */
export const PSQL_FLAGS = ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1'];

/** SQL that prints one JSON line `{"s":schema,"t":table,"n":rows}` per user table. */
export const COUNT_TABLES_SQL = `SELECT format('SELECT json_build_object(''s'', %L::text, ''t'', %L::text, ''n'', count(*)) FROM %I.%I', n.nspname, c.relname, n.nspname, c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY n.nspname, c.relname \\gexec
`;

/** The tables COUNT_TABLES_SQL counts, by name only (a catalog read: quick). */
export const LIST_TABLES_SQL = `SELECT json_build_object('s', n.nspname, 't', c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY n.nspname, c.relname;
`;

/** Parses the JSON lines LIST_TABLES_SQL prints. */
export function parseTableNames(
  lines: string[],
): { schema: string; table: string }[] {
  return lines
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      const o = JSON.parse(l) as { s: string; t: string };
      return { schema: o.s, table: o.t };
    });
}

/** Parses the JSON lines COUNT_TABLES_SQL prints. */
export function parseCounts(
  lines: string[],
): { schema: string; table: string; rows: number }[] {
  return lines
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      const o = JSON.parse(l) as { s: string; t: string; n: number };
      return { schema: o.s, table: o.t, rows: Number(o.n) };
    });
}

/** Starts a tool on the endpoint. */
export function startTool(
  ep: PgEndpoint,
  argv: string[],
): Promise<RunningCommand> {
  return ep.runner.start(argv, { env: ep.env });
}

export { quoteIdent };

/** Runs SQL in one psql session (ON_ERROR_STOP); its output lines, or one line saying why it failed. */
export async function runPsql(
  ep: PgEndpoint,
  sql: string,
  timeoutMs: number,
): Promise<{ lines: string[]; stderr: string }> {
  const r = await runToEnd(
    ep.runner,
    ['psql', ...PSQL_FLAGS, ...ep.connArgs()],
    { stdin: sql, timeoutMs, maxBytes: 8 * 1024 * 1024, env: ep.env },
  );
  if (r.timedOut)
    throw new Error(
      `psql on ${ep.describe} took over ${Math.round(timeoutMs / 1000)} s`,
    );
  if (r.exitCode !== 0)
    throw new Error(
      `psql on ${ep.describe} failed (exit ${r.exitCode}): ${lastError(r.stderr)}`,
    );
  return {
    lines: r.stdout.split('\n').filter((l) => l !== ''),
    stderr: r.stderr,
  };
}
