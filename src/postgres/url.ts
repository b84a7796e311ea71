import { ConfigurationError } from '../errors.js';

/** A PostgreSQL connection URL split for safe use. */
export interface PgTarget {
  /** The URL without its password: safe for argv and logs. */
  url: string;
  /** The password, passed to the tools as PGPASSWORD only. */
  password: string | undefined;
  database: string;
  user: string;
  host: string;
}

/**
 * Parses `postgres://user:pass@host:port/db?sslmode=...`. The password is
 * masked at once (raw and percent-decoded) and removed from the URL.
 */
export function parsePgUrl(
  raw: string,
  input: string,
  mask: (s: string) => void,
): PgTarget {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw new ConfigurationError(
      `input '${input}' is not a URL: give postgres://user:password@host:5432/database`,
    );
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new ConfigurationError(
      `input '${input}' must start with postgres:// or postgresql://`,
    );
  }
  let password: string | undefined;
  if (u.password !== '') {
    mask(u.password);
    password = decodeURIComponent(u.password);
    mask(password);
    u.password = '';
  }
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (database === '')
    throw new ConfigurationError(
      `input '${input}' names no database: give postgres://user:password@host:5432/database`,
    );
  return {
    url: u.toString(),
    password,
    database,
    user: decodeURIComponent(u.username),
    host: u.host,
  };
}

/** The same server, another database (for CREATE/DROP DATABASE from `postgres`). */
export function withDatabase(t: PgTarget, database: string): PgTarget {
  const u = new URL(t.url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return { ...t, url: u.toString(), database };
}

/** libpq environment for a target: the password travels here, never in argv. */
export function pgEnv(t: PgTarget): Record<string, string> {
  return t.password !== undefined
    ? { PGPASSWORD: t.password, PGCONNECT_TIMEOUT: '15' }
    : { PGCONNECT_TIMEOUT: '15' };
}

/** A SQL identifier, quoted. */
export function quoteIdent(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}
