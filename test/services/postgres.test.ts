import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PgServer } from './postgres.js';

const exec = promisify(execFile);

describe('startPostgres', () => {
  let pg: PgServer;
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'pqc-pg-test-'));
    pg = await startPostgres({ superuser: 'admin', password: 'p@ss:w/rd 1' });
    await pg.psql(
      `CREATE TABLE items (id int PRIMARY KEY, name text);
       INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 50) g;`,
    );
  });

  afterAll(async () => {
    await pg?.destroy();
    await rm(work, { recursive: true, force: true });
  });

  it('answers psql with unaligned, tuples-only output', async () => {
    expect(await pg.psql('SELECT count(*) FROM items')).toBe('50');
    expect(await pg.psql("SELECT 1, 'a'; SELECT 2, 'b'")).toBe('1|a\n2|b');
    expect(await pg.psql('SHOW fsync')).toBe('off');
    expect(await pg.psql('SELECT current_user')).toBe('admin');
  });

  it('rejects with the psql error and stops at the first one', async () => {
    await expect(
      pg.psql('SELECT * FROM missing; CREATE TABLE never(x int)'),
    ).rejects.toThrow(/relation "missing" does not exist/);
    expect(await pg.psql("SELECT to_regclass('never') IS NULL")).toBe('t');
  });

  it('accepts the password in url() and env(), and only the password', async () => {
    const { stdout } = await exec('psql', ['-XAtc', 'SELECT 42', pg.url()]);
    expect(stdout.trim()).toBe('42');
    const wrong = { ...process.env, ...pg.env(), PGPASSWORD: 'nope' };
    await expect(
      exec('psql', ['-XAtc', 'SELECT 1', '-d', 'postgres'], { env: wrong }),
    ).rejects.toThrow(/password authentication failed/);
  });

  it('round-trips a pg_dump through pg_restore into a new database', async () => {
    const dump = join(work, 'items.dump');
    const env = { ...process.env, ...pg.env() };
    await exec('pg_dump', ['-Fc', '-f', dump, '-d', 'postgres'], { env });
    await pg.createDatabase('restored');
    await exec('pg_restore', ['-d', 'restored', '--exit-on-error', dump], {
      env,
    });
    expect(await pg.psql('SELECT sum(id) FROM items', 'restored')).toBe('1275');
  });

  it('runs as the postgres OS user in its own data dir', () => {
    const owner = statSync(join(pg.dataDir, 'PG_VERSION')).uid;
    if (process.getuid?.() === 0) expect(owner).not.toBe(0);
    else expect(owner).toBe(process.getuid?.());
  });

  it('survives an immediate stop and start with its data', async () => {
    await pg.psql("INSERT INTO items VALUES (51, 'late')");
    await pg.stop('immediate');
    await expect(pg.psql('SELECT 1')).rejects.toThrow(/connection|refused/i);
    await pg.start();
    expect(await pg.psql('SELECT count(*) FROM items')).toBe('51');
    await pg.stop();
    await pg.start();
    expect(await pg.psql('SELECT name FROM items WHERE id = 51')).toBe('late');
  });
});
