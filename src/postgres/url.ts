import { ConfigurationError } from '../errors.js';

/** A PostgreSQL connection URL split for safe use. */
export interface PgTarget {
  /** The URL without any password: safe for argv and logs. */
  url: string;
  /** The password, passed to the tools as PGPASSWORD only. */
  password: string | undefined;
  database: string;
  user: string;
  host: string;
}

/** Query parameters that carry a password libpq would use. */
const PASSWORD_PARAMS = new Set(['password']);
/**
 * Secrets libpq has no environment variable for: on a command line they
 * would be visible in the process list, so they are refused.
 */
const REFUSED_PARAMS = new Set(['sslpassword']);

/**
 * Parses `postgres://user:pass@host:port/db?sslmode=...`. Every password
 * form libpq reads from a URL (the userinfo password and the `password`
 * query parameter, which wins as it does in libpq) is handed to `mask` at
 * once, raw and percent-decoded, and removed from the URL.
 */
export function parsePgUrl(
  raw: string,
  input: string,
  mask: (s: string) => void,
): PgTarget {
  const text = raw.trim();
  let u: URL;
  try {
    u = new URL(text);
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
  // Each form is masked as soon as it is seen, before anything can fail.
  const secrets = new Set<string>();
  const hide = (s: string): void => {
    if (s !== '' && !secrets.has(s)) mask(s);
    secrets.add(s);
  };
  let password: string | undefined;
  if (u.password !== '') {
    hide(rawUserinfoPassword(text) ?? u.password);
    hide(u.password);
    password = decode(u.password, input);
    hide(password);
    u.password = '';
  }
  const fromQuery = stripQueryPasswords(u, text, input, hide);
  if (fromQuery !== undefined) password = fromQuery;
  const database = decode(u.pathname.replace(/^\//, ''), input);
  if (database === '')
    throw new ConfigurationError(
      `input '${input}' names no database: give postgres://user:password@host:5432/database`,
    );
  return {
    url: u.toString(),
    password,
    database,
    user: decode(u.username, input),
    host: u.host,
  };
}

/**
 * Removes the `password` parameters from the query of `u` (keeping the others
 * byte for byte), hands their raw and decoded forms to `hide`, and returns
 * the password libpq would use (the last one). Keys and values are
 * percent-decoded as libpq does it: `+` stays a plus.
 */
function stripQueryPasswords(
  u: URL,
  text: string,
  input: string,
  hide: (s: string) => void,
): string | undefined {
  if (u.search === '') return undefined;
  // The values as typed, before the URL parser re-encoded them.
  for (const v of rawQueryValues(text, PASSWORD_PARAMS)) hide(v);
  let password: string | undefined;
  const kept: string[] = [];
  for (const part of u.search.slice(1).split('&')) {
    const eq = part.indexOf('=');
    const key = decode(eq === -1 ? part : part.slice(0, eq), input);
    if (REFUSED_PARAMS.has(key)) {
      throw new ConfigurationError(
        `input '${input}' has a ${key} parameter, which the client tools would show in the process list: remove it from the URL`,
      );
    }
    if (!PASSWORD_PARAMS.has(key)) {
      kept.push(part);
      continue;
    }
    const value = eq === -1 ? '' : part.slice(eq + 1);
    hide(value);
    password = decode(value, input);
    hide(password);
  }
  if (password === undefined) return undefined;
  u.search = kept.join('&');
  return password;
}

/** The userinfo password exactly as typed, if any. */
function rawUserinfoPassword(text: string): string | undefined {
  const start = text.indexOf('://');
  if (start === -1) return undefined;
  const rest = text.slice(start + 3);
  const authority = rest.slice(0, rest.search(/[/?#]|$/));
  const at = authority.lastIndexOf('@');
  if (at === -1) return undefined;
  const userinfo = authority.slice(0, at);
  const colon = userinfo.indexOf(':');
  return colon === -1 ? undefined : userinfo.slice(colon + 1);
}

/** Values of the query parameters named in `keys`, exactly as typed. */
function rawQueryValues(text: string, keys: Set<string>): string[] {
  const q = text.indexOf('?');
  if (q === -1) return [];
  const hash = text.indexOf('#', q);
  const query = text.slice(q + 1, hash === -1 ? undefined : hash);
  const out: string[] = [];
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    let key: string;
    try {
      key = decodeURIComponent(part.slice(0, eq));
    } catch {
      continue;
    }
    if (keys.has(key)) out.push(part.slice(eq + 1));
  }
  return out;
}

function decode(s: string, input: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new ConfigurationError(
      `input '${input}' has a malformed %-escape: give postgres://user:password@host:5432/database with special characters percent-encoded`,
    );
  }
}

/**
 * Whether a URL still carries a password libpq would read (userinfo or a
 * `password` query parameter): such a URL must never reach a command line.
 */
export function urlHasPassword(url: string): boolean {
  const u = new URL(url);
  if (u.password !== '') return true;
  return u.search
    .slice(1)
    .split('&')
    .some((part) => {
      const key = part.split('=', 1)[0] ?? '';
      try {
        return PASSWORD_PARAMS.has(decodeURIComponent(key));
      } catch {
        return false;
      }
    });
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
