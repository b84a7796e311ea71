import { runPsql, type PgEndpoint } from './endpoint.js';

/** What the server says it is. */
export interface PgServerVersion {
  /** `SELECT version()`: "PostgreSQL 15.18 (Debian 15.18-0+deb12u1) on x86_64-pc-linux-gnu, ...". */
  banner: string;
  /** `server_version`: "15.18", or "15.18 (Debian 15.18-0+deb12u1)". */
  version: string;
  /** `server_version_num`: 150018 (major * 10000 + minor from PostgreSQL 10). */
  num: number;
}

const SQL = `SELECT 'version ' || json_build_object('banner', version(), 'version', current_setting('server_version'), 'num', current_setting('server_version_num'));`;

/**
 * Asks the server for its version, through psql on the endpoint (the runner
 * with a URL, or the database pod through exec), as the backup connects.
 * Reads nothing else and changes nothing.
 */
export async function readServerVersion(
  ep: PgEndpoint,
  timeoutMs: number,
): Promise<PgServerVersion> {
  const { lines } = await runPsql(ep, `${SQL}\n`, timeoutMs);
  const line = lines.find((l) => l.startsWith('version '));
  if (!line) throw new Error(`psql on ${ep.describe} reported no version`);
  const o = JSON.parse(line.slice(8)) as {
    banner: string;
    version: string;
    num: string;
  };
  const num = Number(o.num);
  if (!Number.isInteger(num) || num <= 0)
    throw new Error(
      `psql on ${ep.describe}: server_version_num is ${JSON.stringify(o.num)}`,
    );
  return { banner: o.banner, version: o.version, num };
}

/** "15.18" from server_version_num 150018 (or "9.6.24" from 90624). */
export function versionOfNum(num: number): string {
  if (num >= 100_000) return `${Math.floor(num / 10_000)}.${num % 10_000}`;
  return `${Math.floor(num / 10_000)}.${Math.floor(num / 100) % 100}.${num % 100}`;
}
