/**
 * Where archives live: a directory on the runner, or a bucket and key prefix
 * (`s3://bucket/optional/prefix/`), given in the same input.
 */
import { ConfigurationError } from '../errors.js';
import { hasControlCharacters } from '../report/escape.js';

/** A bucket and the key prefix (empty, or ending in `/`) archives live under. */
export interface BucketLocation {
  bucket: string;
  /** `''` or `some/folder/`. */
  keyPrefix: string;
}

const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Whether an input's value names a bucket. */
export function isBucketUrl(value: string | undefined): value is string {
  return value?.startsWith('s3://') ?? false;
}

/**
 * Parses `s3://bucket[/prefix[/]]`; a prefix always names a folder (a `/` is
 * appended). Throws a ConfigurationError naming `input`.
 */
export function parseBucketUrl(value: string, input: string): BucketLocation {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(value.trim());
  const bucket = m?.[1] ?? '';
  let keyPrefix = m?.[2] ?? '';
  const form =
    "s3://bucket/optional/prefix/ (a bucket name of 3-63 lowercase letters, digits, '.' or '-')";
  if (!m || !BUCKET_RE.test(bucket) || bucket.includes('..'))
    throw new ConfigurationError(
      `input '${input}': "${value.slice(0, 80)}" is not ${form}`,
    );
  if (
    keyPrefix.startsWith('/') ||
    keyPrefix.includes('//') ||
    hasControlCharacters(keyPrefix) ||
    keyPrefix.includes('\\') ||
    keyPrefix.split('/').some((p) => p === '.' || p === '..') ||
    keyPrefix.length > 512
  )
    throw new ConfigurationError(
      `input '${input}': the key prefix "${keyPrefix.slice(0, 80)}" is not a plain folder path (no leading '/', '//', '.', '..', backslash or control characters)`,
    );
  if (keyPrefix !== '' && !keyPrefix.endsWith('/')) keyPrefix += '/';
  return { bucket, keyPrefix };
}

/** `s3://bucket/prefix/` (with `name` appended when given). */
export function bucketUrl(loc: BucketLocation, name = ''): string {
  return `s3://${loc.bucket}/${loc.keyPrefix}${name}`;
}
