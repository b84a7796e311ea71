/**
 * manifest.json, the first member of every archive: what was backed up, from
 * where, when, and the size and sha256 of every other member, plus the row
 * count of every table taken in the dump's own snapshot.
 */

/** The archive format this code writes. Readers refuse newer versions. */
export const FORMAT_VERSION = 1;
export const FORMAT_NAME = 'pqc-ops-backup';

/** Fixed member names. */
export const MEMBERS = {
  manifest: 'manifest.json',
  database: 'database.dump',
  config: 'config.yaml',
  appdata: 'appdata.tar',
} as const;

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
