import { describe, expect, it } from 'vitest';
import { backup } from '../../src/procedures/backup/procedure.js';
import { parseBucketUrl } from '../../src/storage/location.js';
import { runProcedure } from '../helpers/procedure.js';

describe('s3:// locations', () => {
  it.each([
    ['s3://pqc-backups', { bucket: 'pqc-backups', keyPrefix: '' }],
    ['s3://pqc-backups/', { bucket: 'pqc-backups', keyPrefix: '' }],
    ['s3://pqc-backups/daily', { bucket: 'pqc-backups', keyPrefix: 'daily/' }],
    ['s3://pqc.backups/a/b-c/', { bucket: 'pqc.backups', keyPrefix: 'a/b-c/' }],
  ])('%s', (url, loc) => {
    expect(parseBucketUrl(url, 'destination')).toEqual(loc);
  });

  it.each([
    ['s3://', /is not s3:\/\/bucket\/optional\/prefix\//],
    ['s3://UPPER/x', /is not s3:\/\/bucket/],
    ['s3://ab/x', /is not s3:\/\/bucket/],
    ['s3://b..b/x', /is not s3:\/\/bucket/],
    ['s3://bucket//x', /not a plain folder path/],
    ['s3://bucket/a/../b', /not a plain folder path/],
    ['s3://bucket/a\nb', /is not s3:\/\/bucket/],
  ])('refuses %j', (url, why) => {
    expect(() => parseBucketUrl(url, 'destination')).toThrow(why);
  });

  it.each([
    [{ 's3-sse': 'aes' }, /input 's3-sse' must be AES256 or aws:kms/],
    [{ 's3-kms-key-id': 'k' }, /input 's3-kms-key-id' needs 's3-sse: aws:kms'/],
    [
      { 's3-part-size': '4MiB' },
      /input 's3-part-size' must be from 5MiB to 5GiB/,
    ],
    [
      { 's3-part-size': '5000000' },
      /and a multiple of 64KiB \(got 5000000 bytes\)/,
    ],
    [{ 's3-storage-class': 'cold storage' }, /input 's3-storage-class'/],
    [{ 's3-checksum': 'always' }, /input 's3-checksum' has an invalid value/],
    [{ destination: 's3://Bad_Bucket/' }, /input 'destination'/],
  ])(
    'backup refuses %j before touching anything (exit as a configuration error)',
    async (extra, why) => {
      const ex = await runProcedure(backup, {
        'database-url': 'postgres://u@127.0.0.1:1/db',
        include: 'database',
        destination: 's3://bucket/prefix/',
        ...extra,
      });
      expect(ex.failure).toMatch(why);
      expect(ex.failure).toMatch(/^backup: invalid configuration: /);
    },
  );
});
