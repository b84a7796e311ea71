import { randomBytes } from 'node:crypto';
import type { RunningCommand } from '../process/runner.js';
import type { TableCount } from './counts.js';
import {
  COUNT_TABLES_SQL,
  LIST_TABLES_SQL,
  parseCounts,
  parseTableNames,
  PSQL_FLAGS,
  startTool,
  type PgEndpoint,
} from './endpoint.js';
import { lastError, tail } from '../process/output.js';

/**
 * A psql session held open (stdin kept open) so that its REPEATABLE READ
 * transaction's exported snapshot stays valid while pg_dump uses it, and the
 * row counts are taken in that same snapshot.
 */
export class SnapshotSession {
  private out = '';
  private waiters: (() => void)[] = [];
  private exited: number | undefined;
  private constructor(
    private readonly cmd: RunningCommand,
    private readonly stderr: () => string,
    private readonly where: string,
  ) {
    cmd.stdout.on('data', (c: Buffer) => {
      this.out += c.toString('utf8');
      for (const w of this.waiters.splice(0)) w();
    });
    cmd.done.then(
      (code) => {
        this.exited = code;
        for (const w of this.waiters.splice(0)) w();
      },
      () => {
        this.exited = -1;
        for (const w of this.waiters.splice(0)) w();
      },
    );
  }

  /** Opens the session and exports its snapshot. */
  static async open(ep: PgEndpoint): Promise<{
    session: SnapshotSession;
    snapshot: string;
    database: string;
    serverVersion: string;
  }> {
    const cmd = await startTool(ep, ['psql', ...PSQL_FLAGS, ...ep.connArgs()]);
    const s = new SnapshotSession(cmd, tail(cmd.stderr), ep.describe);
    const lines = await s.run(
      "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\nSELECT 'snapshot ' || pg_export_snapshot();\nSELECT 'info ' || json_build_object('db', current_database(), 'version', current_setting('server_version'));\n",
    );
    const snap = lines.find((l) => l.startsWith('snapshot '))?.slice(9);
    const info = lines.find((l) => l.startsWith('info '));
    if (!snap || !info)
      throw new Error(`psql on ${ep.describe} did not export a snapshot`);
    const i = JSON.parse(info.slice(5)) as { db: string; version: string };
    return {
      session: s,
      snapshot: snap,
      database: i.db,
      serverVersion: i.version,
    };
  }

  /** Runs SQL and resolves with the output lines once it is done. */
  async run(sql: string): Promise<string[]> {
    const mark = `__pqc_ops_${randomBytes(6).toString('hex')}__`;
    const start = this.out.length;
    this.cmd.stdin.write(`${sql}\n\\echo ${mark}\n`);
    for (;;) {
      const at = this.out.indexOf(mark, start);
      if (at !== -1) {
        const text = this.out.slice(start, at);
        this.out = this.out.slice(at + mark.length);
        return text.split('\n').filter((l) => l !== '');
      }
      if (this.exited !== undefined) {
        throw new Error(
          `psql on ${this.where} ended (exit ${this.exited}): ${lastError(this.stderr())}`,
        );
      }
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** Row counts of every user table, in the session's snapshot. */
  async countTables(): Promise<TableCount[]> {
    return parseCounts(await this.run(COUNT_TABLES_SQL));
  }

  /** The names of the tables countTables() counts, in the snapshot. */
  async listTables(): Promise<{ schema: string; table: string }[]> {
    return parseTableNames(await this.run(LIST_TABLES_SQL));
  }

  /** Ends the transaction and the session. */
  async close(): Promise<void> {
    if (this.exited === undefined) this.cmd.stdin.end('COMMIT;\n\\q\n');
    const code = await this.cmd.done.catch(() => -1);
    if (code !== 0)
      throw new Error(
        `psql on ${this.where} failed (exit ${code}): ${lastError(this.stderr())}`,
      );
  }

  /** Stops the session without waiting (on failure paths). */
  kill(): void {
    if (this.exited === undefined) this.cmd.kill();
  }
}
