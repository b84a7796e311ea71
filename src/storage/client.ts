/**
 * The S3 client, from @aws-sdk/client-s3, imported only when a bucket is used
 * (a lazily loaded chunk of the bundle: actions that never touch a bucket do
 * not load it). Credentials come from the SDK's default provider chain only:
 * environment (what aws-actions/configure-aws-credentials sets, OIDC
 * included), shared config and credentials files, web identity, container and
 * instance metadata.
 */
import type { S3Client } from '@aws-sdk/client-s3';

/** How to reach the store: the shared `s3-*` inputs. */
export interface S3Settings {
  /** Empty: AWS. Else MinIO, Ceph RGW, R2, GCS interoperability, ... */
  endpoint?: string;
  /** Empty: the SDK's own (AWS_REGION, shared config), else us-east-1. */
  region?: string;
  forcePathStyle: boolean;
  storageClass?: string;
  sse?: 'AES256' | 'aws:kms';
  kmsKeyId?: string;
  /**
   * `when-supported`: the SDK's newest integrity headers on every request
   * (x-amz-checksum-*, trailers) and checks of those in responses;
   * `when-required`: only where an operation requires them, for stores
   * that do not know them.
   */
  checksum: 'when-required' | 'when-supported';
  /** Bytes per part of a multipart upload. */
  partSize: number;
}

/** The SDK module, loaded once. */
export type S3Sdk = typeof import('@aws-sdk/client-s3');

let sdk: Promise<S3Sdk> | undefined;

/** Loads the SDK (once). */
export function loadS3Sdk(): Promise<S3Sdk> {
  sdk ??= import('@aws-sdk/client-s3');
  return sdk;
}

/** Attempts per request (the SDK's standard retry: 5xx, throttling, network errors). */
export const MAX_ATTEMPTS = 5;

/** A client for `s`. */
export async function s3Client(s: S3Settings): Promise<{
  client: S3Client;
  sdk: S3Sdk;
}> {
  const m = await loadS3Sdk();
  const mode =
    s.checksum === 'when-supported' ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED';
  const client = new m.S3Client({
    endpoint: s.endpoint,
    region:
      s.region ??
      process.env['AWS_REGION'] ??
      process.env['AWS_DEFAULT_REGION'] ??
      'us-east-1',
    forcePathStyle: s.forcePathStyle,
    requestChecksumCalculation: mode,
    responseChecksumValidation: mode,
    maxAttempts: MAX_ATTEMPTS,
    requestHandler: {
      connectionTimeout: 10_000,
      // No byte for this long on a connection: the attempt fails (and is retried).
      requestTimeout: 120_000,
    },
  });
  return { client, sdk: m };
}

/**
 * Whether versioning is on for a bucket ("Enabled", "Suspended"), or
 * undefined when it never was or the caller may not ask: a note for the
 * report, never a reason to fail.
 */
export async function bucketVersioning(
  client: S3Client,
  sdk: S3Sdk,
  bucket: string,
  abortSignal?: AbortSignal,
): Promise<'Enabled' | 'Suspended' | undefined> {
  const v = await client
    .send(new sdk.GetBucketVersioningCommand({ Bucket: bucket }), {
      abortSignal,
    })
    .catch(() => undefined);
  return v?.Status === 'Enabled' || v?.Status === 'Suspended'
    ? v.Status
    : undefined;
}
