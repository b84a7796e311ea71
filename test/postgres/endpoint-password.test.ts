import { randomBytes } from 'node:crypto';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { urlEndpoint } from '../../src/postgres/endpoint.js';
import { SnapshotSession } from '../../src/postgres/session.js';
import { dumpToFile, psqlLines } from '../../src/postgres/tools.js';
import { parsePgUrl } from '../../src/postgres/url.js';
import { LocalRunner, type RunningCommand } from '../../src/process/runner.js';
import { processesMentioning } from '../helpers/processes.js';
import { startPostgres, type PgServer } from '../services/index.js';

// A literal '+' and characters that need escaping: libpq must get it exactly.
const password = `pw+${randomBytes(8).toString('hex')}@/&=`;
let pg: PgServer;

beforeAll(async () => {
  pg = await startPostgres({ password });
});
afterAll(async () => pg?.destroy());

/** The real local runner, recording argv and the process table at each start. */
class WatchedRunner extends LocalRunner {
  readonly argvs: string[][] = [];
  readonly seen: string[] = [];
  constructor(private readonly needles: string[]) {
    super();
  }
  override async start(
    argv: string[],
    opts?: { env?: Record<string, string> },
  ): Promise<RunningCommand> {
    this.argvs.push(argv);
    const cmd = await super.start(argv, opts);
    for (const n of this.needles) this.seen.push(...processesMentioning(n));
    return cmd;
  }
}

function queryUrl(pw: string): string {
  return `postgres://${pg.user}@127.0.0.1:${pg.port}/postgres?sslmode=disable&password=${pw}`;
}

describe('database-url with ?password= against a real PostgreSQL', () => {
  it('query password reaches psql and pg_dump through PGPASSWORD, never their command lines', async () => {
    // Raw '+' (libpq keeps it), the rest percent-encoded.
    const typed = password.replace(/[@/&=]/g, encodeURIComponent);
    const masked: string[] = [];
    const t = parsePgUrl(queryUrl(typed), 'database-url', (s) =>
      masked.push(s),
    );
    expect(masked).toContain(password);
    const runner = new WatchedRunner([password, typed]);
    const ep = urlEndpoint(t, runner);

    expect(await psqlLines(ep, 'SELECT 40 + 2;')).toEqual(['42']);
    const { session, snapshot } = await SnapshotSession.open(ep);
    // psql holds the session open: its command line is in /proc now.
    expect(processesMentioning(password)).toEqual([]);
    const file = join(mkdtempSync(join(tmpdir(), 'ep-pw-')), 'db.dump');
    try {
      const h = await dumpToFile(ep, snapshot, file);
      expect(h.size).toBeGreaterThan(0);
      expect(statSync(file).size).toBe(h.size);
    } finally {
      await session.close();
    }

    expect(runner.argvs.map((a) => a[0])).toEqual(['psql', 'psql', 'pg_dump']);
    for (const argv of runner.argvs) {
      const line = argv.join(' ');
      expect(line).not.toContain(password);
      expect(line).not.toContain(typed);
      expect(line).not.toContain('password');
    }
    expect(runner.seen).toEqual([]);
    expect(ep.describe).not.toContain('password');
  });

  it('psqlLines with a 30-day timeout does not time out at once (timer overflow)', async () => {
    const ep = urlEndpoint(
      parsePgUrl(pg.url(), 'database-url', () => undefined),
      new LocalRunner(),
    );
    // setTimeout fires after 1 ms for delays over 2^31-1 ms.
    const thirtyDays = 30 * 86_400_000;
    expect(
      await psqlLines(
        ep,
        'SELECT pg_sleep(0.2); SELECT 7;',
        undefined,
        thirtyDays,
      ),
    ).toEqual(['7']);
  });

  it('query password that is wrong fails with an error that does not contain it', async () => {
    const wrong = `wrong-${randomBytes(6).toString('hex')}`;
    const ep = urlEndpoint(
      parsePgUrl(queryUrl(wrong), 'database-url', () => undefined),
      new WatchedRunner([]),
    );
    const err = await psqlLines(ep, 'SELECT 1;').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/password authentication failed/);
    expect((err as Error).message).not.toContain(wrong);
  });
});
