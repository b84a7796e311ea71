import { planRetention } from '../../archive/retention.js';
import type { ProcedureContext } from '../../procedure.js';
import type { ResultBuilder } from '../../report/step-result.js';
import type { S3Settings } from '../../storage/client.js';
import type { BucketLocation } from '../../storage/location.js';
import {
  archiveBucket,
  type BucketArchive,
} from '../../storage/s3-archives.js';
import type { BackupOptions } from './inputs.js';

/**
 * Retention in a bucket: the archives of this prefix directly under the key
 * prefix (a paginated listing), the expired ones deleted, never one of the
 * newest keep-last; other prefixes, deeper keys and foreign objects are never
 * touched. Versioning and object lock are reported, not fought: a delete the
 * store refuses is a warning, not a failed backup.
 */
export async function retainInBucket(
  o: BackupOptions,
  place: { bucket: BucketLocation; s3: S3Settings },
  ctx: ProcedureContext,
  rb: ResultBuilder,
): Promise<void> {
  const bucket = await archiveBucket(place.bucket, place.s3, ctx.signal);
  const listed = await bucket.list(o.prefix);
  const plan = planRetention(listed, ctx.now(), o.retentionDays, o.keepLast);
  const refused: string[] = [];
  let deleted = 0;
  for (const a of plan.expired as BucketArchive[]) {
    ctx.signal.throwIfAborted();
    try {
      await bucket.remove(a.key);
      deleted++;
      rb.change(
        'deleted expired archive',
        a.path,
        'none (a previous version remains if the bucket is versioned)',
      );
    } catch (e) {
      refused.push(e instanceof Error ? e.message : String(e));
    }
  }
  const notes = await bucket.protection();
  if (plan.future.length > 0)
    notes.push(
      `${plan.future.length} archive(s) named from the future, not counted among the newest ${o.keepLast} and not deleted: ${plan.future.map((f) => f.name).join(', ')}`,
    );
  if (refused.length > 0)
    notes.push(`${refused.length} delete(s) refused: ${refused[0]}`);
  rb.check({
    name: 'retention',
    status: notes.length > 0 ? 'warning' : 'ok',
    observed: `${deleted} expired archive(s) deleted, ${plan.keep.length} kept (of ${listed.length} in ${bucket.url} with prefix ${o.prefix})`,
    threshold: `${o.retentionDays === 0 ? 'no expiry' : `older than ${o.retentionDays} d`}, newest ${o.keepLast} always kept`,
    detail: notes.length > 0 ? notes.join('; ') : undefined,
  });
}
