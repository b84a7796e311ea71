// A backup to a bucket that goes wrong leaves nothing behind: no object, no
// multipart upload with parts (listed with the AWS CLI and in the server's
// own store), pqc_backup_success 0 pushed, and one line that says why. The
// store is s3rver; its admin API injects the faults (5xx on a part, a cut
// connection, a store that refuses the SDK's newest checksum headers).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backup } from '../../../src/procedures/backup/procedure.js';
import {
  startPostgres,
  startPushgateway,
  startS3,
  type PgServer,
  type Pushgateway,
  type S3Server,
} from '../../services/index.js';
import { startBundle } from '../../helpers/bundle.js';
import { runProcedure, seedDatabase } from '../../helpers/procedure.js';

let pg: PgServer;
let gw: Pushgateway;
let s3: S3Server;

beforeAll(async () => {
  [pg, gw, s3] = await Promise.all([
    startPostgres(),
    startPushgateway(),
    startS3(['backups']),
  ]);
  await seedDatabase(pg, 'pqc_audit');
  // About 13 MB pg_dump cannot compress: three 5 MiB parts.
  await pg.psql(
    `CREATE TABLE public.blobs AS SELECT i, decode(md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text), 'hex') AS b FROM generate_series(1, 200000) i`,
    'pqc_audit',
  );
}, 120_000);
afterAll(async () => {
  await Promise.all([pg?.destroy(), gw?.stop(), s3?.stop()]);
});
beforeEach(async () => {
  await s3.reset();
  Object.assign(process.env, s3.env());
});

const inputs = (prefix: string, extra: Record<string, string> = {}) => ({
  'database-url': pg.url('pqc_audit'),
  include: 'database',
  destination: 's3://backups/db/',
  prefix,
  's3-endpoint': s3.endpoint,
  's3-force-path-style': 'true',
  's3-part-size': '5MiB',
  'pushgateway-url': gw.url,
  ...extra,
});

/** Objects of a prefix, and uploads in progress, listed by the AWS CLI. */
async function leftovers(
  prefix: string,
): Promise<{ objects: string; uploads: string[] }> {
  const ls = await s3.aws(['s3', 'ls', `s3://backups/db/${prefix}_`]);
  const up = await s3.aws([
    's3api',
    'list-multipart-uploads',
    '--bucket',
    'backups',
  ]);
  expect(up.code, up.stderr).toBe(0);
  const uploads = (
    (JSON.parse(up.stdout) as { Uploads?: { Key: string }[] }).Uploads ?? []
  ).map((u) => u.Key);
  return { objects: ls.stdout.trim(), uploads };
}

async function expectNothingLeft(prefix: string): Promise<void> {
  expect(await leftovers(prefix)).toEqual({ objects: '', uploads: [] });
  expect(await s3.uploads()).toEqual([]);
  expect(
    await gw.sample('pqc_backup_success', {
      job: 'pqc-ops-backup',
      instance: prefix,
    }),
  ).toBe(0);
}

describe('backup to a bucket, when the store fails', () => {
  it('a part answered 500 twice is retried and the backup succeeds', async () => {
    await s3.faults([{ op: 'UploadPart', times: 2, status: 500 }]);
    const ex = await runProcedure(backup, inputs('retried'));
    expect(ex.failure).toBeUndefined();
    const parts = (await s3.log()).filter((r) => r.op === 'UploadPart');
    const numbers = parts.map((r) => r.query['partNumber']);
    expect(numbers.length).toBe(new Set(numbers).size + 2);
    const left = await leftovers('retried');
    expect(left.uploads).toEqual([]);
    expect(left.objects.split('\n')).toEqual([
      expect.stringMatching(/ retried_\d{8}_\d{6}\.tar$/),
    ]);
  });

  const failures = [
    {
      what: 'a part failing every attempt (500)',
      faults: [{ op: 'UploadPart', times: 1000, status: 500 }],
      line: /^backup: uploading part \d+ of s3:\/\/backups\/db\/perm_\d{8}_\d{6}\.tar: InternalError \(HTTP 500, after 5 attempts\)/,
      prefix: 'perm',
    },
    {
      what: 'the connection cut in the middle of every part',
      faults: [{ op: 'UploadPart', times: 1000, drop: true }],
      line: /^backup: uploading part \d+ of s3:\/\/backups\/db\/dropped_\d{8}_\d{6}\.tar: /,
      prefix: 'dropped',
    },
  ];
  for (const f of failures)
    it(`${f.what}: one line, the upload aborted, nothing left, success 0 pushed`, async () => {
      await s3.faults(f.faults);
      const ex = await runProcedure(backup, inputs(f.prefix));
      expect(ex.result.status).toBe('failed');
      expect(ex.failure).toMatch(f.line);
      expect(ex.failure).not.toContain('\n');
      const ops = (await s3.log()).map((r) => r.op);
      expect(ops).toContain('AbortMultipartUpload');
      expect(ops).not.toContain('CompleteMultipartUpload');
      await expectNothingLeft(f.prefix);
    }, 120_000);

  it('refused credentials: one line naming them, nothing written', async () => {
    // s3rver refuses access keys it does not know (it does not check SigV4
    // signatures, so a wrong secret would pass there).
    process.env['AWS_ACCESS_KEY_ID'] = 'AKIANOTKNOWNHERE';
    const ex = await runProcedure(backup, inputs('badkey'));
    expect(ex.failure).toMatch(
      /^backup: listing s3:\/\/backups\/db\/: InvalidAccessKeyId \(HTTP 403\): the store does not know the access key: credentials refused$/,
    );
    Object.assign(process.env, s3.env());
    await expectNothingLeft('badkey');
  });

  it('a missing bucket: one line, nothing written', async () => {
    const ex = await runProcedure(backup, {
      ...inputs('nobucket'),
      destination: 's3://no-such-bucket/db/',
    });
    expect(ex.failure).toMatch(
      /^backup: listing s3:\/\/no-such-bucket\/db\/: NoSuchBucket \(HTTP 404\): the bucket does not exist$/,
    );
    await expectNothingLeft('nobucket');
  });

  it('s3-checksum: when-required (the default) sends no x-amz-checksum headers; when-supported does, and a store that refuses them fails in one line', async () => {
    await s3.faults([
      {
        op: '*',
        ifHeader: 'x-amz-checksum-',
        times: 1000,
        status: 400,
        code: 'InvalidArgument',
      },
    ]);
    const ok = await runProcedure(backup, inputs('plainsums'));
    expect(ok.failure).toBeUndefined();
    const sent = (await s3.log()).flatMap((r) => Object.keys(r.headers));
    expect(sent.filter((h) => h.startsWith('x-amz-checksum-'))).toEqual([]);

    const refused = await runProcedure(backup, {
      ...inputs('newsums'),
      's3-checksum': 'when-supported',
    });
    expect(refused.failure).toMatch(
      /^backup: uploading part \d+ of s3:\/\/backups\/db\/newsums_\d{8}_\d{6}\.tar: InvalidArgument \(HTTP 400/,
    );
    expect(
      (await s3.log())
        .filter((r) => r.op === 'UploadPart')
        .some((r) =>
          Object.keys(r.headers).some((h) => h.startsWith('x-amz-checksum-')),
        ),
    ).toBe(true);
    expect(await s3.uploads()).toEqual([]);
  });

  it('SIGTERM mid-upload (the bundle): exits 1 at once, the upload aborted, nothing left, success 0 pushed', async () => {
    // Slow parts: the signal lands while they are in flight.
    await s3.faults([{ op: 'UploadPart', times: 1000, delayMs: 1500 }]);
    const run = startBundle('backup', inputs('cancelled'), s3.env());
    const deadline = Date.now() + 60_000;
    while (
      Date.now() < deadline &&
      !(await s3.log()).some((r) => r.op === 'UploadPart')
    )
      await new Promise((r) => setTimeout(r, 50));
    expect((await s3.uploads()).length).toBe(1);
    const at = Date.now();
    process.kill(run.pid, 'SIGTERM');
    const done = await run.finished;
    expect(done.code).toBe(1);
    expect(done.endedAt - at).toBeLessThan(5000);
    expect(done.stdout).toMatch(/::error::backup: cancelled/);
    expect((await s3.log()).map((r) => r.op)).toContain('AbortMultipartUpload');
    await expectNothingLeft('cancelled');
  }, 120_000);
});
