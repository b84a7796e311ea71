// The DR test with its archives in a bucket (s3rver): the newest verified
// archive of the prefix streamed from the bucket, restored, RTO and RPO
// measured, replicas back.
import * as age from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backup } from '../../../src/procedures/backup/procedure.js';
import { drTest } from '../../../src/procedures/dr-test/procedure.js';
import { fingerprint, runProcedure } from '../../helpers/procedure.js';
import { startS3, type S3Server } from '../../services/index.js';
import { DB, drInputs, startDrWorld, type DrWorld } from './world.js';

let w: DrWorld;
let s3: S3Server;

beforeAll(async () => {
  [w, s3] = await Promise.all([startDrWorld(), startS3(['vault'])]);
}, 120_000);
afterAll(async () => {
  await Promise.all([w?.close(), s3?.stop()]);
});

const s3Inputs = () => ({
  's3-endpoint': s3.endpoint,
  's3-force-path-style': 'true',
});

describe('dr-test from a bucket', () => {
  it('restores the newest verified archive streamed from s3://, with RTO and RPO', async () => {
    Object.assign(process.env, s3.env());
    const b = await runProcedure(backup, {
      'database-url': w.pg.url(DB),
      include: 'database',
      destination: 's3://vault/pqc/',
      compression: 'zstd',
      'age-recipients': await age.identityToRecipient(w.identity),
      ...s3Inputs(),
    });
    expect(b.failure).toBeUndefined();
    const inBucket = await fingerprint(w.pg, DB);
    await w.reset();
    expect(await fingerprint(w.pg, DB)).not.toEqual(inBucket);
    const ex = await runProcedure(
      drTest,
      drInputs(w, { destination: 's3://vault/pqc/', ...s3Inputs() }),
    );
    expect(ex.failure, ex.logs.join('\n')).toBeUndefined();
    expect(ex.outputs['archive']).toBe(b.outputs['archive']);
    expect(ex.outputs['archive']).toMatch(
      /^s3:\/\/vault\/pqc\/pqc-audit-backup_.*\.tar\.zst\.age$/,
    );
    expect(await fingerprint(w.pg, DB)).toEqual(inBucket);
    expect([w.replicas('postgres'), w.replicas('pqc-audit')]).toEqual([1, 2]);
    expect(Number(ex.outputs['rto-seconds'])).toBeGreaterThan(0);
    expect(Number(ex.outputs['rpo-seconds'])).toBeGreaterThanOrEqual(0);
  }, 120_000);
});
