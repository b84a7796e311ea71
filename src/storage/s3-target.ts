import type { S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import type { PartRecord } from '../archive/part-writer.js';
import { archiveNames } from '../archive/naming.js';
import {
  checkReadBack,
  type ArchiveTarget,
  type ArchiveUpload,
  type StoredArchive,
} from '../archive/target.js';
import {
  bucketVersioning,
  s3Client,
  type S3Sdk,
  type S3Settings,
} from './client.js';
import { s3Error } from './errors.js';
import { bucketUrl, type BucketLocation } from './location.js';

/** S3's limits: parts of 5 MiB at least (but the last), 10,000 at most. */
export const MIN_PART = 5 * 1024 * 1024;
export const MAX_PARTS = 10_000;
/** CopyObject's limit: larger objects keep their sha256 out of metadata. */
const MAX_COPY = 5 * 1024 * 1024 * 1024;
/** The object metadata key (x-amz-meta-pqc-ops-sha256) of the archive's sha256. */
const SHA256_METADATA = 'pqc-ops-sha256';
/** The metadata every archive object is created with. */
const FORMAT_METADATA = { 'pqc-ops-format': 'pqc-ops-backup' };
/** Parts uploading at once: memory is about (this + 3) x the part size. */
export const PARTS_IN_FLIGHT = 2;
/**
 * On a cancel, parts already on the wire get this long to finish before
 * their requests are cut: a part cut off may still land after the abort
 * (S3 says so), which would leave it orphaned.
 */
export const CANCEL_PART_GRACE_MS = 4_000;

/** A signal that follows `signal`, `delayMs` later. */
function delayed(signal: AbortSignal, delayMs: number): AbortSignal {
  const c = new AbortController();
  const fire = () => setTimeout(() => c.abort(signal.reason), delayMs).unref();
  if (signal.aborted) fire();
  else signal.addEventListener('abort', fire, { once: true });
  return c.signal;
}

/** A bucket as an archive target: one multipart upload per archive. */
export async function bucketTarget(
  loc: BucketLocation,
  s: S3Settings,
  signal: AbortSignal,
): Promise<ArchiveTarget> {
  const { client, sdk } = await s3Client(s);
  return {
    where: bucketUrl(loc),
    async assertNameFree(prefix, at) {
      const taken = new Set(archiveNames(prefix, at));
      const stamp = archiveNames(prefix, at)[0]?.replace(/\.tar$/, '') ?? '';
      const r = await client
        .send(
          new sdk.ListObjectsV2Command({
            Bucket: loc.bucket,
            Prefix: loc.keyPrefix + stamp,
          }),
          { abortSignal: signal },
        )
        .catch((e: unknown) => {
          throw s3Error(e, `listing ${bucketUrl(loc)}`);
        });
      const hit = r.Contents?.find((o) =>
        taken.has((o.Key ?? '').slice(loc.keyPrefix.length)),
      );
      if (hit)
        throw new Error(
          `an archive for this second already exists: s3://${loc.bucket}/${hit.Key}; archive names have one-second resolution (nothing was dumped; run again)`,
        );
    },
    begin: (name) => beginUpload(client, sdk, loc, s, name, signal),
  };
}

/** One multipart upload: its bucket, key, id and the parts' ETags. */
interface Upload {
  settings: S3Settings;
  client: S3Client;
  sdk: S3Sdk;
  Bucket: string;
  Key: string;
  UploadId: string;
  url: string;
  signal: AbortSignal;
  /** Part requests: cut only CANCEL_PART_GRACE_MS after a cancel. */
  partSignal: AbortSignal;
  etags: Map<number, string>;
  completed: boolean;
  /** Whether a part request was cut off (it may still land). */
  cutOff: boolean;
}

async function beginUpload(
  client: S3Client,
  sdk: S3Sdk,
  loc: BucketLocation,
  s: S3Settings,
  name: string,
  signal: AbortSignal,
): Promise<ArchiveUpload> {
  const Bucket = loc.bucket;
  const Key = loc.keyPrefix + name;
  const url = bucketUrl(loc, name);
  const created = await client
    .send(
      new sdk.CreateMultipartUploadCommand({
        Bucket,
        Key,
        ContentType: 'application/octet-stream',
        StorageClass: s.storageClass as never,
        ServerSideEncryption: s.sse,
        SSEKMSKeyId: s.kmsKeyId,
        Metadata: FORMAT_METADATA,
      }),
      { abortSignal: signal },
    )
    .catch((e: unknown) => {
      throw s3Error(e, `starting the upload of ${url}`);
    });
  const u: Upload = {
    settings: s,
    client,
    sdk,
    Bucket,
    Key,
    UploadId: created.UploadId ?? '',
    url,
    signal,
    partSignal: delayed(signal, CANCEL_PART_GRACE_MS),
    etags: new Map(),
    completed: false,
    cutOff: false,
  };
  return {
    layout: {
      partSize: s.partSize,
      minPartSize: Math.min(MIN_PART, s.partSize),
      maxParts: MAX_PARTS,
      inFlight: PARTS_IN_FLIGHT,
    },
    sink: { put: (n, _offset, data, size) => putPart(u, n, data, size) },
    commit: (parts, size) => commit(u, parts, size),
    abort: () => abort(u),
  };
}

async function putPart(
  u: Upload,
  n: number,
  data: Buffer[],
  size: number,
): Promise<void> {
  const r = await u.client
    .send(
      new u.sdk.UploadPartCommand({
        Bucket: u.Bucket,
        Key: u.Key,
        UploadId: u.UploadId,
        PartNumber: n,
        // A Buffer, not a stream: the SDK can send it again on a retry.
        Body: data.length === 1 ? data[0] : Buffer.concat(data, size),
        ContentLength: size,
      }),
      { abortSignal: u.partSignal },
    )
    .catch((e: unknown) => {
      if (u.partSignal.aborted) u.cutOff = true;
      throw s3Error(e, `uploading part ${n} of ${u.url}`);
    });
  u.etags.set(n, r.ETag ?? '');
}

/**
 * Completes the upload, then checks the object: its size as the store
 * reports it, and every byte read back against each part's sha256.
 */
async function commit(
  u: Upload,
  parts: PartRecord[],
  size: number,
): Promise<StoredArchive> {
  const { Bucket, Key } = u;
  await u.client
    .send(
      new u.sdk.CompleteMultipartUploadCommand({
        Bucket,
        Key,
        UploadId: u.UploadId,
        MultipartUpload: {
          Parts: parts.map((p) => ({
            PartNumber: p.n,
            ETag: u.etags.get(p.n),
          })),
        },
      }),
      { abortSignal: u.signal },
    )
    .catch((e: unknown) => {
      throw s3Error(e, `completing the upload of ${u.url}`);
    });
  u.completed = true;
  try {
    const head = await u.client.send(
      new u.sdk.HeadObjectCommand({ Bucket, Key }),
      { abortSignal: u.signal },
    );
    if (head.ContentLength !== size)
      throw new Error(
        `the store reports ${head.ContentLength} bytes for ${u.url}; ${size} were uploaded`,
      );
    const got = await u.client.send(
      new u.sdk.GetObjectCommand({ Bucket, Key }),
      { abortSignal: u.signal },
    );
    const read = await checkReadBack(got.Body as Readable, parts, size);
    const note = await recordSha256(u, read.sha256, size);
    return { path: u.url, ...read, note };
  } catch (e) {
    throw e instanceof Error && !('$metadata' in e)
      ? e
      : s3Error(e, `reading back ${u.url}`);
  }
}

/**
 * Records the verified archive's sha256 in the object's metadata. S3 fixes
 * metadata when an upload starts, before the last byte (and so the hash) is
 * known: the object is copied onto itself with the metadata replaced, a copy
 * made inside the store. Not done where that copy would cost more than it
 * gives: on a versioned bucket (the copy keeps a second version of the whole
 * archive) and above CopyObject's 5 GiB. A failed copy leaves the verified
 * object as it was. Returns what happened, for the report.
 */
async function recordSha256(
  u: Upload,
  sha256: string,
  size: number,
): Promise<string> {
  const { Bucket, Key } = u;
  if (size > MAX_COPY)
    return `sha256 not in the object's metadata: a copy to set it is limited to 5 GiB`;
  if (await bucketVersioning(u.client, u.sdk, Bucket, u.signal))
    return `sha256 not in the object's metadata: the bucket is versioned, and setting it would keep a second copy of the archive`;
  const s = u.settings;
  return u.client
    .send(
      new u.sdk.CopyObjectCommand({
        Bucket,
        Key,
        CopySource: `${Bucket}/${Key.split('/').map(encodeURIComponent).join('/')}`,
        MetadataDirective: 'REPLACE',
        Metadata: { ...FORMAT_METADATA, [SHA256_METADATA]: sha256 },
        ContentType: 'application/octet-stream',
        StorageClass: s.storageClass as never,
        ServerSideEncryption: s.sse,
        SSEKMSKeyId: s.kmsKeyId,
      }),
      { abortSignal: u.signal },
    )
    .then(
      () => `sha256 in the object's metadata (${SHA256_METADATA})`,
      (e: unknown) =>
        `sha256 not in the object's metadata: ${s3Error(e, `copying ${u.url} onto itself`).message}`,
    );
}

/** Aborts the upload, or deletes the object when it was completed. */
async function abort(u: Upload): Promise<string | undefined> {
  const { Bucket, Key, UploadId, url } = u;
  if (u.completed)
    // The object exists but could not be verified: it must not stay.
    return u.client.send(new u.sdk.DeleteObjectCommand({ Bucket, Key })).then(
      () => undefined,
      (e: unknown) =>
        `${s3Error(e, `deleting the unverified ${url}`).message}: delete it by hand`,
    );
  const once = () =>
    u.client
      .send(new u.sdk.AbortMultipartUploadCommand({ Bucket, Key, UploadId }))
      .then(
        () => undefined,
        (e: unknown) =>
          (e as { name?: string }).name === 'NoSuchUpload'
            ? undefined
            : `${s3Error(e, `aborting the multipart upload ${UploadId} of ${url}`).message}: its parts stay until a lifecycle rule (AbortIncompleteMultipartUpload) removes them`,
      );
  const first = await once();
  if (first || !u.cutOff) return first;
  // A part whose request was cut off may land after the abort: abort again.
  await new Promise((r) => setTimeout(r, 1000));
  return once();
}
