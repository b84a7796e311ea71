/**
 * manifest.json, the first member of every archive: what was backed up, from
 * where, when, and the size and sha256 of every other member, plus the row
 * count of every table taken in the dump's own snapshot. Since format
 * version 2 the last member, manifest.sha256, holds the manifest's own
 * sha256 (in `sha256sum` format), so an edited manifest no longer passes.
 */
import { createHash } from 'node:crypto';

/**
 * The archive format this code writes. Readers refuse newer versions.
 * 1: manifest first, then the members. 2: plus manifest.sha256 last.
 */
export const FORMAT_VERSION = 2;
/** The first format version whose archives must end with manifest.sha256. */
export const SEALED_SINCE_VERSION = 2;
export const FORMAT_NAME = 'pqc-ops-backup';

/** Fixed member names. */
export const MEMBERS = {
  manifest: 'manifest.json',
  database: 'database.dump',
  config: 'config.yaml',
  appdata: 'appdata.tar',
  /** The manifest's sha256, the last member (format version 2 on). */
  seal: 'manifest.sha256',
} as const;

/** sha256 (hex) of the manifest member's exact bytes. */
export function manifestSha256(json: Buffer): string {
  return createHash('sha256').update(json).digest('hex');
}

/** The content of manifest.sha256: `sha256sum -c manifest.sha256` checks it. */
export function sealText(manifestSha: string): Buffer {
  if (!/^[0-9a-f]{64}$/.test(manifestSha))
    throw new Error('manifest sha256 must be 64 hex digits');
  return Buffer.from(`${manifestSha}  ${MEMBERS.manifest}\n`, 'utf8');
}

/** The sha256 a manifest.sha256 member holds; throws on any other content. */
export function parseSeal(data: Buffer): string {
  const m = /^([0-9a-f]{64}) {2}manifest\.json\n$/.exec(data.toString('utf8'));
  if (!m?.[1])
    throw new Error(
      `${MEMBERS.seal} is malformed (expected "<sha256>  ${MEMBERS.manifest}")`,
    );
  return m[1];
}

/** The components an archive can hold. */
export type Component = 'database' | 'config' | 'appdata';
export const COMPONENTS: readonly Component[] = [
  'database',
  'config',
  'appdata',
];

/** One member besides the manifest. */
export interface MemberRecord {
  name: string;
  component: Component;
  size: number;
  sha256: string;
}

export type { TableCount } from '../postgres/counts.js';
import type { TableCount } from '../postgres/counts.js';

export interface Manifest {
  format: typeof FORMAT_NAME;
  formatVersion: number;
  createdBy: string;
  startedAt: string;
  endedAt: string;
  source: {
    cluster?: string;
    namespace?: string;
    database?: { name: string; serverVersion: string; via: string };
    configSelector?: string;
    appdata?: { pod: string; container: string; path: string };
  };
  members: MemberRecord[];
  database?: {
    member: typeof MEMBERS.database;
    format: 'pg_dump custom (-Fc)';
    snapshot: string;
    tables: TableCount[];
  };
  config?: { configMaps: string[]; secrets: string[] };
  encryption?: { recipients: 'x25519' | 'hybrid' };
}

/** Checks the shape of a parsed manifest; throws one line on a problem. */
export function validateManifest(v: unknown): Manifest {
  const m = v as Manifest;
  if (!m || typeof m !== 'object' || m.format !== FORMAT_NAME)
    throw new Error('manifest.json is not a pqc-ops backup manifest');
  if (typeof m.formatVersion !== 'number' || m.formatVersion > FORMAT_VERSION) {
    throw new Error(
      `manifest.json has format version ${String(m.formatVersion)}; this pqc-ops reads up to ${FORMAT_VERSION}`,
    );
  }
  if (!Array.isArray(m.members))
    throw new Error('manifest.json lists no members');
  for (const x of m.members) {
    if (
      typeof x?.name !== 'string' ||
      typeof x.size !== 'number' ||
      !/^[0-9a-f]{64}$/.test(String(x.sha256))
    ) {
      throw new Error('manifest.json has a malformed member record');
    }
  }
  if (m.database && !Array.isArray(m.database.tables))
    throw new Error('manifest.json has no table list');
  return m;
}

/** `schema.table`, quoted only where needed, for messages. */
export function tableName(t: { schema: string; table: string }): string {
  const q = (s: string) =>
    /^[a-z_][a-z0-9_]*$/.test(s) ? s : `"${s.replace(/"/g, '""')}"`;
  return `${q(t.schema)}.${q(t.table)}`;
}
