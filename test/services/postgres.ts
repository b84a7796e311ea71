import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnDaemon, tempDirCleanup, type Daemon } from './daemon.js';
import { freePort } from './ports.js';

/** A throwaway PostgreSQL server listening on 127.0.0.1 with password auth. */
export interface PgServer {
  host: '127.0.0.1';
  port: number;
  /** Superuser name. */
  user: string;
  password: string;
  /** The cluster's data directory (owned by the `postgres` OS user). */
  dataDir: string;
  /** `postgres://user:pass@127.0.0.1:port/db` (db defaults to `postgres`). */
  url(db?: string): string;
  /** PGHOST, PGPORT, PGUSER, PGPASSWORD for client tools. */
  env(): Record<string, string>;
  /**
   * Runs `sql` (read from stdin, several statements allowed) with
   * `psql -X -A -t -q -v ON_ERROR_STOP=1`; resolves with stdout minus its
   * final newline, rejects with psql's stderr.
   */
  psql(sql: string, db?: string): Promise<string>;
  createDatabase(name: string): Promise<void>;
  /** `fast` (SIGINT, default) or `immediate` (SIGQUIT, crash-like). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts the server again on the same port and data after `stop()`. */
  start(): Promise<void>;
  /** Stops the server and removes its temp dir now (also done at exit). */
  destroy(): Promise<void>;
}

/** Options for {@link startPostgres}. */
export interface PgOptions {
  /** Superuser password; random when omitted. */
  password?: string;
  /** Superuser name; `postgres` when omitted. */
  superuser?: string;
}

const READY = /database system is ready to accept connections/;
const START_TIMEOUT_MS = 30_000;

/**
 * Binary directory of the newest PostgreSQL under /usr/lib/postgresql, or
 * `PG_BIN_DIR` when set.
 */
export function pgBinDir(): string {
  const fromEnv = process.env['PG_BIN_DIR'];
  if (fromEnv) return fromEnv;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const found = versions
    .map((v) => join(root, v, 'bin'))
    .find((dir) => existsSync(join(dir, 'initdb')));
  if (!found) {
    throw new Error(
      'PostgreSQL server binaries not found: run scripts/install-test-deps.sh',
    );
  }
  return found;
}

interface RunOptions {
  env: Record<string, string>;
  uid?: number;
  gid?: number;
  cwd?: string;
  input?: string;
  timeoutMs?: number;
}

function run(file: string, args: string[], o: RunOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        env: o.env,
        uid: o.uid,
        gid: o.gid,
        cwd: o.cwd,
        timeout: o.timeoutMs ?? 30_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        if (err) {
          const detail = stderr.trim() || err.message;
          reject(new Error(`${file.split('/').pop()} failed: ${detail}`));
        } else resolve(stdout);
      },
    );
    // A tool that exits without reading stdin must not crash the test run.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(o.input ?? '');
  });
}

/** Environment of the parent without libpq variables that would interfere. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('PG')) env[k] = v;
  }
  return env;
}

async function osUser(): Promise<{ uid?: number; gid?: number }> {
  // PostgreSQL refuses to run as root; any other user runs it as itself.
  if (process.getuid?.() !== 0) return {};
  const env = cleanEnv();
  const uid = Number(await run('id', ['-u', 'postgres'], { env }));
  const gid = Number(await run('id', ['-g', 'postgres'], { env }));
  return { uid, gid };
}

/**
 * Creates a PostgreSQL cluster in a temp dir (initdb as the `postgres` OS user
 * when running as root), starts it on a free 127.0.0.1 port with scram-sha-256
 * auth, fsync off and small buffers, and waits until it accepts connections.
 * A process-exit hook kills the postmaster and removes the dir if a test
 * never calls `stop()`.
 */
export async function startPostgres(opts: PgOptions = {}): Promise<PgServer> {
  const user = opts.superuser ?? 'postgres';
  const password = opts.password ?? `pw-${randomBytes(12).toString('hex')}`;
  const bin = pgBinDir();
  const ids = await osUser();
  const root = await mkdtemp(join(tmpdir(), 'pqc-pg-'));
  const removeRoot = tempDirCleanup(root);
  const dataDir = join(root, 'data');
  const sockDir = join(root, 'sock');
  const pwFile = join(root, 'pwfile');
  await mkdir(sockDir, { mode: 0o700 });
  await writeFile(pwFile, `${password}\n`, { mode: 0o600 });
  if (ids.uid !== undefined && ids.gid !== undefined) {
    for (const p of [root, sockDir, pwFile]) await chown(p, ids.uid, ids.gid);
  }
  const serverEnv: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: root,
    LC_ALL: 'C',
    LANG: 'C',
    TZ: 'UTC',
  };
  await run(
    join(bin, 'initdb'),
    [
      ...['-D', dataDir, '-U', user, `--pwfile=${pwFile}`],
      ...['--auth=scram-sha-256', '--encoding=UTF8', '--locale=C', '--no-sync'],
    ],
    { ...ids, env: serverEnv, cwd: root, timeoutMs: 60_000 },
  ).catch((e: unknown) => {
    removeRoot();
    throw e;
  });
  let port = 0;
  let daemon: Daemon | undefined;

  const launch = async (): Promise<void> => {
    daemon = spawnDaemon(
      join(bin, 'postgres'),
      [
        ...['-D', dataDir, '-p', String(port), '-k', sockDir],
        ...['-c', 'listen_addresses=127.0.0.1'],
        ...['-c', 'fsync=off'],
        ...['-c', 'full_page_writes=off', '-c', 'shared_buffers=16MB'],
        ...['-c', 'max_connections=40', '-c', 'max_wal_size=256MB'],
        ...['-c', 'lc_messages=C', '-c', 'logging_collector=off'],
      ],
      {
        name: 'postgres',
        cwd: root,
        env: serverEnv,
        exitSignal: 'SIGQUIT',
        ...ids,
      },
    );
    await daemon.waitForOutput(READY, START_TIMEOUT_MS);
  };

  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (e) {
      await daemon?.stop('SIGKILL');
      // Another process may have taken the port between freePort and bind.
      const clash = /Address already in use/.test(daemon?.output() ?? '');
      if (!clash || attempt >= 3) {
        removeRoot();
        throw e;
      }
    }
  }

  const server: PgServer = {
    host: '127.0.0.1',
    port,
    user,
    password,
    dataDir,
    url: (db = 'postgres') =>
      `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}` +
      `@127.0.0.1:${port}/${encodeURIComponent(db)}`,
    env: () => ({
      PGHOST: '127.0.0.1',
      PGPORT: String(port),
      PGUSER: user,
      PGPASSWORD: password,
    }),
    async psql(sql, db = 'postgres') {
      const out = await run(
        'psql',
        [
          ...['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1'],
          '-d',
          db,
          '-f',
          '-',
        ],
        {
          env: { ...cleanEnv(), ...server.env(), PGCONNECT_TIMEOUT: '10' },
          input: sql,
        },
      );
      return out.replace(/\n$/, '');
    },
    async createDatabase(name) {
      await server.psql(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    },
    async stop(mode = 'fast') {
      await daemon?.stop(mode === 'fast' ? 'SIGINT' : 'SIGQUIT', 15_000);
    },
    async start() {
      if (daemon?.running) return;
      await launch();
    },
    async destroy() {
      await server.stop('immediate');
      removeRoot();
    },
  };
  return server;
}
