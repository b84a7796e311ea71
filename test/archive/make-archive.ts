// Real archives for tests, written by the real archive writer (GNU tar and
// the age CLI read them): a manifest with the given times and one member.
import { createHash } from 'node:crypto';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { parseRecipients } from '../../src/archive/age.js';
import {
  writeArchive,
  type WrittenArchive,
} from '../../src/archive/archive-writer.js';
import {
  FORMAT_NAME,
  FORMAT_VERSION,
  MEMBERS,
  type Manifest,
} from '../../src/archive/manifest.js';
import { archiveName } from '../../src/archive/naming.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Writes `<prefix>_<name time>.tar[.age]` into `dir`. */
export async function makeArchive(o: {
  dir: string;
  prefix?: string;
  /** The time in the name. */
  nameAt: Date;
  /** The manifest's endedAt (default: the name's time plus 5 s). */
  endedAt?: Date;
  /** An age identity (AGE-SECRET-KEY-1...) to encrypt to. */
  identity?: string;
  formatVersion?: number;
}): Promise<WrittenArchive & { manifest: Manifest; json: Buffer }> {
  const data = Buffer.from('pg_dump bytes\n'.repeat(100));
  const manifest: Manifest = {
    format: FORMAT_NAME,
    formatVersion: o.formatVersion ?? FORMAT_VERSION,
    createdBy: 'pqc-ops test',
    startedAt: o.nameAt.toISOString(),
    endedAt: (o.endedAt ?? new Date(o.nameAt.getTime() + 5000)).toISOString(),
    source: {},
    members: [
      {
        name: MEMBERS.database,
        component: 'database',
        size: data.length,
        sha256: sha(data),
      },
    ],
  };
  const json = Buffer.from(JSON.stringify(manifest, null, 2) + '\n');
  const recipients = o.identity
    ? await parseRecipients([await identityToRecipient(o.identity)])
    : undefined;
  const w = await writeArchive({
    dir: o.dir,
    name: archiveName(
      o.prefix ?? 'pqc-audit-backup',
      o.nameAt,
      recipients !== undefined,
    ),
    members: [
      {
        name: MEMBERS.manifest,
        data: json,
        size: json.length,
        sha256: sha(json),
      },
      { name: MEMBERS.database, data, size: data.length, sha256: sha(data) },
    ],
    recipients,
    mtime: o.nameAt,
  });
  return { ...w, manifest, json };
}

/** A classic (X25519) age identity, which Debian's age CLI reads. */
export function newIdentity(): Promise<string> {
  return generateX25519Identity();
}
