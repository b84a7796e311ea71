import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { writeFile } from 'node:fs/promises';
import { hashFile } from '../process/hash.js';
import { spoolCommand } from '../process/spool.js';
import type { TableCount } from './counts.js';
import { LocalRunner, runToEnd } from '../process/runner.js';
import {
  COUNT_TABLES_SQL,
  parseCounts,
  PSQL_FLAGS,
  quoteIdent,
  startTool,
  type PgEndpoint,
} from './endpoint.js';
import { lastError, tail, throwIfFailed } from '../process/output.js';

/**
 * `pg_dump -Fc --snapshot=<id>` into a new private file. On the runner,
 * pg_dump writes the file itself (`-f`: no byte passes through Node, and the
 * dump gets its data offsets); through exec the bytes stream into the file.
 * Either way memory stays constant whatever the database size.
 */
export async function dumpToFile(
  ep: PgEndpoint,
  snapshot: string,
  path: string,
): Promise<{ sha256: string; size: number }> {
  const argv = ['pg_dump', '-Fc', `--snapshot=${snapshot}`, ...ep.connArgs()];
  if (!(ep.runner instanceof LocalRunner)) {
    return spoolCommand(ep.runner, argv, path, ep.env);
  }
  // pg_dump -f creates the file with the umask; make it private first.
  await writeFile(path, '', { flag: 'wx', mode: 0o600 });
  // pg_dump rewrites the table of contents at the start of the file when it
  // closes (data offsets), so the file is hashed only once it is complete.
  const r = await runToEnd(ep.runner, [...argv, '-f', path], {
    env: ep.env,
    maxBytes: 64 * 1024,
  });
  if (r.exitCode !== 0) {
    if (/no space left on device/i.test(r.stderr)) {
      throw new Error(
        'the destination is full (no space left on device) while writing the dump',
      );
    }
    throw new Error(
      `pg_dump on ${ep.runner.where} failed (exit ${r.exitCode}): ${lastError(r.stderr)}`,
    );
  }
  const h = await hashFile(path);
  if (h.size === 0)
    throw new Error(`pg_dump on ${ep.runner.where} produced no output`);
  return h;
}

/**
 * Streams a custom-format dump into `pg_restore` (reading stdin) for
 * `database`. Throws with pg_restore's own error line.
 */
export async function restoreStream(
  ep: PgEndpoint,
  source: AsyncIterable<Buffer>,
  opts: { database?: string; clean: boolean; noOwner?: boolean },
): Promise<void> {
  const args = ['pg_restore', '--exit-on-error'];
  if (opts.clean) args.push('--clean', '--if-exists', '--single-transaction');
  if (opts.noOwner) args.push('--no-owner', '--no-privileges');
  const cmd = await startTool(ep, [...args, ...ep.connArgs(opts.database)]);
  const err = tail(cmd.stderr);
  cmd.stdout.resume();
  // A source that breaks mid-stream (a damaged archive) leaves pg_restore
  // waiting for the rest of its input: end it, or this waits forever.
  const feeding = feedAll(source, cmd.stdin).catch((e: unknown) => {
    cmd.kill();
    throw e;
  });
  const [feed, exit] = await Promise.allSettled([feeding, cmd.done]);
  // A broken source (a damaged archive) explains a pg_restore failure best.
  if (feed.status === 'rejected') {
    cmd.kill();
    throw feed.reason instanceof Error
      ? feed.reason
      : new Error(String(feed.reason));
  }
  throwIfFailed(exit, 'pg_restore', ep.runner.where, err());
}

/**
 * Writes every chunk of `source` to `sink` with backpressure. If the sink
 * closes early (the tool exited), the source is still read to its end, so a
 * caller hashing it sees every byte.
 */
export async function feedAll(
  source: AsyncIterable<Buffer>,
  sink: Writable,
): Promise<void> {
  let open = true;
  const closed = new Promise<void>((r) => {
    sink.once('close', () => {
      open = false;
      r();
    });
    sink.once('error', () => {
      open = false;
      r();
    });
  });
  for await (const c of source) {
    if (!open) continue;
    if (!sink.write(c))
      await Promise.race([once(sink, 'drain').catch(() => undefined), closed]);
  }
  if (open) sink.end();
}

/** Runs SQL with psql to the end; resolves with stdout lines. */
export async function psqlLines(
  ep: PgEndpoint,
  sql: string,
  database?: string,
  timeoutMs = 600_000,
): Promise<string[]> {
  const r = await runToEnd(
    ep.runner,
    ['psql', ...PSQL_FLAGS, ...ep.connArgs(database)],
    {
      stdin: sql,
      env: ep.env,
      timeoutMs,
      maxBytes: 64 * 1024 * 1024,
    },
  );
  if (r.exitCode !== 0)
    throw new Error(
      `psql on ${ep.describe} failed (exit ${r.exitCode}${r.timedOut ? ', timed out' : ''}): ${lastError(r.stderr)}`,
    );
  return r.stdout.split('\n').filter((l) => l !== '');
}

/** Row counts of every user table, now. */
export async function countTablesNow(
  ep: PgEndpoint,
  database?: string,
): Promise<TableCount[]> {
  return parseCounts(await psqlLines(ep, COUNT_TABLES_SQL, database));
}

/** Whether a database exists on the endpoint's server. */
export async function databaseExists(
  ep: PgEndpoint,
  name: string,
  via: string,
): Promise<boolean> {
  const lit = `'${name.replace(/'/g, "''")}'`;
  const out = await psqlLines(
    ep,
    `SELECT count(*) FROM pg_database WHERE datname = ${lit};`,
    via,
  );
  return out[0] === '1';
}

/** CREATE DATABASE / DROP DATABASE (FORCE) through the maintenance database `via`. */
export async function createDatabase(
  ep: PgEndpoint,
  name: string,
  via: string,
): Promise<void> {
  await psqlLines(ep, `CREATE DATABASE ${quoteIdent(name)};`, via);
}

export async function dropDatabase(
  ep: PgEndpoint,
  name: string,
  via: string,
): Promise<void> {
  await psqlLines(
    ep,
    `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE);`,
    via,
  );
}
