import type { S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { parseArchiveName } from '../archive/naming.js';
import type { FoundArchive } from '../archive/retention.js';
import {
  bucketVersioning,
  s3Client,
  type S3Sdk,
  type S3Settings,
} from './client.js';
import { s3Error } from './errors.js';
import {
  bucketUrl,
  isBucketUrl,
  parseBucketUrl,
  type BucketLocation,
} from './location.js';

/** An archive object of a prefix, as a listing shows it. */
export interface BucketArchive extends FoundArchive {
  key: string;
  size: number;
  lastModified?: Date;
}

/** A bucket's archives: list, read, delete. */
export interface ArchiveBucket {
  readonly url: string;
  /**
   * Every archive of `prefix` directly under the key prefix (exact names,
   * non-empty objects), newest first by the time in the name. Paginated;
   * keys in deeper "folders" and other prefixes are not archives of it.
   */
  list(prefix: string): Promise<BucketArchive[]>;
  /** The object's bytes, streamed; `url` must be in this bucket. */
  open(url: string): Promise<{ body: Readable; size: number }>;
  /** Deletes one archive object. */
  remove(key: string): Promise<void>;
  /**
   * What keeps deletes from freeing space or removing data: versioning,
   * object lock. Lines to report; a store that does not say is not guessed.
   */
  protection(): Promise<string[]>;
}

/** The archive bucket at `loc`. */
export async function archiveBucket(
  loc: BucketLocation,
  s: S3Settings,
  signal?: AbortSignal,
  pageSize = 1000,
): Promise<ArchiveBucket> {
  const { client, sdk } = await s3Client(s);
  const url = bucketUrl(loc);
  return {
    url,
    list: (prefix) => listArchives(client, sdk, loc, prefix, signal, pageSize),
    async open(objectUrl) {
      const key = keyOf(loc, objectUrl);
      const r = await client
        .send(new sdk.GetObjectCommand({ Bucket: loc.bucket, Key: key }), {
          abortSignal: signal,
        })
        .catch((e: unknown) => {
          throw s3Error(e, `reading ${objectUrl}`);
        });
      return { body: r.Body as Readable, size: r.ContentLength ?? 0 };
    },
    async remove(key) {
      await client
        .send(new sdk.DeleteObjectCommand({ Bucket: loc.bucket, Key: key }), {
          abortSignal: signal,
        })
        .catch((e: unknown) => {
          throw s3Error(e, `deleting s3://${loc.bucket}/${key}`);
        });
    },
    protection: () => protection(client, sdk, loc),
  };
}

/** The key of an s3:// URL in this bucket. */
export function keyOf(loc: BucketLocation, objectUrl: string): string {
  const head = `s3://${loc.bucket}/`;
  if (!objectUrl.startsWith(head))
    throw new Error(`${objectUrl} is not in ${bucketUrl(loc)}`);
  return objectUrl.slice(head.length);
}

async function listArchives(
  client: S3Client,
  sdk: S3Sdk,
  loc: BucketLocation,
  prefix: string,
  signal: AbortSignal | undefined,
  pageSize: number,
): Promise<BucketArchive[]> {
  const out: BucketArchive[] = [];
  let token: string | undefined;
  do {
    const r = await client
      .send(
        new sdk.ListObjectsV2Command({
          Bucket: loc.bucket,
          Prefix: `${loc.keyPrefix}${prefix}_`,
          ContinuationToken: token,
          MaxKeys: pageSize,
        }),
        { abortSignal: signal },
      )
      .catch((e: unknown) => {
        throw s3Error(e, `listing ${bucketUrl(loc)}`);
      });
    for (const o of r.Contents ?? []) {
      const key = o.Key ?? '';
      const name = key.slice(loc.keyPrefix.length);
      const p = parseArchiveName(prefix, name);
      if (!p || !o.Size) continue;
      out.push({
        name,
        key,
        path: `s3://${loc.bucket}/${key}`,
        size: o.Size,
        lastModified: o.LastModified,
        ...p,
      });
    }
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return out.sort(
    (a, b) => b.at.getTime() - a.at.getTime() || b.name.localeCompare(a.name),
  );
}

async function protection(
  client: S3Client,
  sdk: S3Sdk,
  loc: BucketLocation,
): Promise<string[]> {
  const notes: string[] = [];
  const versioning = await bucketVersioning(client, sdk, loc.bucket);
  if (versioning)
    notes.push(
      `versioning is ${versioning.toLowerCase()} on ${loc.bucket}: deleted archives stay as noncurrent versions until a lifecycle rule (NoncurrentVersionExpiration) removes them`,
    );
  const l = await client
    .send(new sdk.GetObjectLockConfigurationCommand({ Bucket: loc.bucket }))
    .catch(() => undefined);
  if (l?.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled')
    notes.push(
      `object lock is enabled on ${loc.bucket}: archives under retention cannot be deleted before it ends (their deletes fail and are reported)`,
    );
  return notes;
}

/** The bucket location ("folder") an s3:// object URL lives in. */
export function folderOf(objectUrl: string, input: string): BucketLocation {
  return parseBucketUrl(
    objectUrl.slice(0, objectUrl.lastIndexOf('/') + 1),
    input,
  );
}

/**
 * What readers of archives need for `destination` and `archive` inputs that
 * may be s3:// URLs: the bucket to list (when destination is one) and a way
 * to open an object URL, streamed.
 */
export async function archiveAccess(
  o: { archive: string | undefined; destination: string | undefined },
  s: S3Settings | undefined,
  signal?: AbortSignal,
): Promise<{
  bucket?: ArchiveBucket;
  remote?: (url: string) => Promise<Readable>;
}> {
  if (!s) return {};
  const bucket = isBucketUrl(o.destination)
    ? await archiveBucket(
        parseBucketUrl(o.destination, 'destination'),
        s,
        signal,
      )
    : undefined;
  const remote = async (url: string) => {
    const b = await archiveBucket(folderOf(url, 'archive'), s, signal);
    return (await b.open(url)).body;
  };
  return { bucket, remote };
}
