import { input } from './spec.js';
import { ConfigurationError } from '../errors.js';
import { validPrefix } from '../archive/naming.js';
import { assertPlainPath } from '../report/escape.js';
import type { S3Settings } from '../storage/client.js';
import {
  isBucketUrl,
  parseBucketUrl,
  type BucketLocation,
} from '../storage/location.js';

/** Where the database is: a URL for the runner, or a pod to exec into. */
export const databaseInputs = {
  databaseUrl: input.string('database-url', {
    secret: true,
    description:
      'PostgreSQL URL (postgres://user:password@host:5432/db): the client tools run on the runner. The password goes to them as PGPASSWORD, never on a command line. Alternative to postgres-pod/postgres-selector.',
  }),
  postgresPod: input.optionalKubeName('postgres-pod', {
    description:
      "The database pod: the client tools run inside it through exec, with the pod's own environment.",
  }),
  postgresSelector: input.optionalSelector('postgres-selector', {
    description:
      'Label selector of the database pod (the first running one), instead of postgres-pod.',
  }),
  postgresContainer: input.string('postgres-container', {
    description: 'Container of the database pod. Empty: its first container.',
  }),
  database: input.requiredString('database', {
    default: 'pqc_audit',
    description: 'Database name, for the exec path.',
  }),
  databaseUser: input.requiredString('database-user', {
    default: 'postgres',
    description: 'Database user, for the exec path.',
  }),
};

/** The application pod and path whose data is archived or restored. */
export const appdataInputs = {
  appdataPod: input.optionalKubeName('appdata-pod', {
    description:
      'The application pod whose app data path is archived (read with tar through exec).',
  }),
  appdataSelector: input.optionalSelector('appdata-selector', {
    description:
      'Label selector of the application pod (the first running one), instead of appdata-pod.',
  }),
  appdataContainer: input.string('appdata-container', {
    description:
      'Container of the application pod. Empty: its first container.',
  }),
  appdataPath: input.requiredString('appdata-path', {
    default: '/data',
    description: 'The app data directory inside the application pod.',
  }),
};

/** The archive's location. */
export const archiveLocationInputs = {
  destination: input.string('destination', {
    description:
      'Where the archives are: a directory on the runner, or s3://bucket/optional/prefix/ (see the s3-* inputs).',
  }),
  prefix: input.requiredString('prefix', {
    default: 'pqc-audit-backup',
    description:
      'Archive name prefix: archives are <prefix>_<YYYYmmdd_HHMMSS>.tar, then .zst when compressed with zstd and .age when encrypted.',
  }),
};

/** Pushgateway for the run's metrics. */
export const pushgatewayInput = {
  pushgatewayUrl: input.url('pushgateway-url', {
    description: "Pushgateway base URL for the run's metrics. Empty: no push.",
  }),
};

/** Rule of the app data group: one way to name the pod. */
export function checkAppdataSource(o: {
  appdataPod: string | undefined;
  appdataSelector: string | undefined;
}): void {
  if (o.appdataPod && o.appdataSelector)
    throw new ConfigurationError(
      "give either input 'appdata-pod' or 'appdata-selector', not both",
    );
}

/** Rule for an archive prefix input (`prefix`, `safety-prefix`). */
export function checkPrefix(value: string, name: string): void {
  if (!validPrefix(value))
    throw new ConfigurationError(
      `input '${name}' must be letters, digits, '.', '_' or '-', starting with a letter or digit (got ${JSON.stringify(value.slice(0, 40))})`,
    );
}

/** How to reach an S3-compatible store, for archive locations given as s3://. */
export const s3Inputs = {
  s3Endpoint: input.url('s3-endpoint', {
    description:
      'S3 endpoint for an s3:// location. Empty: AWS. Set it for MinIO, Ceph RGW, Cloudflare R2, GCS interoperability and other S3-compatible stores. Credentials come from the AWS SDK default chain (environment, aws-actions/configure-aws-credentials with OIDC, shared config, web identity), never from an input.',
  }),
  s3Region: input.string('s3-region', {
    description:
      'Region of the bucket. Empty: AWS_REGION or AWS_DEFAULT_REGION, else us-east-1.',
  }),
  s3ForcePathStyle: input.boolean('s3-force-path-style', {
    default: 'false',
    description:
      'Address the bucket in the path (https://endpoint/bucket/key) instead of the host name; most self-hosted stores need it.',
  }),
  s3StorageClass: input.string('s3-storage-class', {
    description:
      'Storage class of archives written (STANDARD, STANDARD_IA, GLACIER_IR, ...). Empty: the bucket default.',
  }),
  s3Sse: input.string('s3-sse', {
    description:
      'Server-side encryption of archives written: AES256 or aws:kms (with s3-kms-key-id). Empty: the bucket default.',
  }),
  s3KmsKeyId: input.string('s3-kms-key-id', {
    description: 'KMS key for s3-sse: aws:kms. Empty: the AWS managed key.',
  }),
  s3Checksum: input.enumeration(
    's3-checksum',
    ['when-required', 'when-supported'] as const,
    {
      default: 'when-required',
      description:
        "when-required: integrity headers only where an operation requires them, which every S3-compatible store accepts (the archive is read back and checked after upload either way). when-supported: the AWS SDK's newest checksums (x-amz-checksum-*) on every request and response, for AWS and stores that know them.",
    },
  ),
  s3PartSize: input.size('s3-part-size', {
    default: '16MiB',
    description:
      'Size of each part of the multipart upload (5MiB to 5GiB, a multiple of 64KiB). A backup holds about three parts in memory (the one being filled, up to two uploading); the archive can have 10,000 parts.',
  }),
};

/** Rules of the s3 group; the settings for the storage domain. */
export function s3SettingsOf(o: {
  s3Endpoint: URL | undefined;
  s3Region: string | undefined;
  s3ForcePathStyle: boolean;
  s3StorageClass: string | undefined;
  s3Sse: string | undefined;
  s3KmsKeyId: string | undefined;
  s3Checksum: 'when-required' | 'when-supported';
  s3PartSize: number;
}): S3Settings {
  if (o.s3Sse !== undefined && o.s3Sse !== 'AES256' && o.s3Sse !== 'aws:kms')
    throw new ConfigurationError(
      `input 's3-sse' must be AES256 or aws:kms (got ${JSON.stringify(o.s3Sse.slice(0, 20))})`,
    );
  if (o.s3KmsKeyId && o.s3Sse !== 'aws:kms')
    throw new ConfigurationError(
      "input 's3-kms-key-id' needs 's3-sse: aws:kms'",
    );
  const K64 = 64 * 1024;
  if (
    o.s3PartSize < 5 * 1024 * 1024 ||
    o.s3PartSize > 5 * 1024 ** 3 ||
    o.s3PartSize % K64 !== 0
  )
    throw new ConfigurationError(
      `input 's3-part-size' must be from 5MiB to 5GiB and a multiple of 64KiB (got ${o.s3PartSize} bytes)`,
    );
  if (o.s3StorageClass && !/^[A-Z_]{2,40}$/.test(o.s3StorageClass))
    throw new ConfigurationError(
      `input 's3-storage-class' must be a storage class name such as STANDARD_IA (got ${JSON.stringify(o.s3StorageClass.slice(0, 40))})`,
    );
  return {
    endpoint: o.s3Endpoint?.toString().replace(/\/$/, ''),
    region: o.s3Region,
    forcePathStyle: o.s3ForcePathStyle,
    storageClass: o.s3StorageClass,
    sse: o.s3Sse,
    kmsKeyId: o.s3KmsKeyId,
    checksum: o.s3Checksum,
    partSize: o.s3PartSize,
  };
}

/**
 * An archive location input (`destination`, `backup-dir`): a bucket when it
 * starts with s3://, else a plain path.
 */
export function locationOf(
  value: string,
  inputName: string,
): { bucket: BucketLocation } | { dir: string } {
  if (isBucketUrl(value)) return { bucket: parseBucketUrl(value, inputName) };
  return { dir: assertPlainPath(value, inputName) };
}

/**
 * Rules of archive readers' `destination` and `archive` inputs: a plain path
 * or an s3:// URL; with any s3:// URL, the s3-* inputs too. Returns the S3
 * settings when a bucket is involved.
 */
export function readerLocations(
  o: Parameters<typeof s3SettingsOf>[0] & {
    archive: string | undefined;
    destination: string | undefined;
  },
): S3Settings | undefined {
  let bucket = false;
  for (const [name, v] of [
    ['destination', o.destination],
    ['archive', o.archive],
  ] as const) {
    if (v === undefined) continue;
    if (isBucketUrl(v)) {
      parseBucketUrl(v, name);
      if (name === 'archive' && v.endsWith('/'))
        throw new ConfigurationError(
          "input 'archive' names a folder: give the archive's s3:// URL, or the folder as 'destination'",
        );
      bucket = true;
    } else assertPlainPath(v, name);
  }
  return bucket ? s3SettingsOf(o) : undefined;
}
