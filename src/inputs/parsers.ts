/**
 * Parsers for the value forms that inputs accept. Each throws a plain Error
 * describing what was wrong; the caller adds the input's name.
 */

import { hasControlCharacters } from '../report/escape.js';

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `90s`, `5m`, `24h`, `7d`, `1h30m`, `250ms` -> milliseconds. */
export function parseDuration(raw: string): number {
  const s = raw.trim();
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * (DURATION_UNITS[m[2] ?? ''] ?? NaN);
    matched = re.lastIndex;
  }
  if (s === '' || matched !== s.length || !Number.isFinite(total)) {
    throw new Error('not a duration');
  }
  return total;
}

/** A duration within `[min, max]` milliseconds; the error states the bounds. */
export function parseDurationWithin(
  raw: string,
  min: number,
  max: number,
): number {
  const v = parseDuration(raw);
  if (v < min || v > max) {
    throw new Error(
      `out of range: give from ${formatDuration(min)} to ${formatDuration(max)}`,
    );
  }
  return v;
}

/** Milliseconds in the largest unit that divides them: `30d`, `90s`, `250ms`. */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    const size = DURATION_UNITS[unit] ?? 1;
    // A week reads better in days below ten weeks (14d, not 2w).
    if (unit === 'w' && ms < 10 * size) continue;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** `80%` or `80` -> 80 (a percentage, 0 < p <= 1000). */
export function parsePercent(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*%?$/.exec(raw.trim());
  const v = m ? Number(m[1]) : NaN;
  if (!(v > 0 && v <= 1000)) throw new Error('not a percentage');
  return v;
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  ki: 1024,
  kib: 1024,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
  ti: 1024 ** 4,
  tib: 1024 ** 4,
};

/** `512Mi`, `1GB`, `10k`, `4096` -> bytes. */
export function parseSize(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(raw.trim());
  const unit = SIZE_UNITS[(m?.[2] ?? '?').toLowerCase()];
  if (!m || unit === undefined) throw new Error('not a size');
  return Math.round(Number(m[1]) * unit);
}

/** A DNS-1123 subdomain, as Kubernetes object names must be. */
export function parseKubeName(raw: string): string {
  const s = raw.trim();
  const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
  if (
    s.length === 0 ||
    s.length > 253 ||
    !s.split('.').every((p) => p.length <= 63 && label.test(p))
  ) {
    throw new Error('not a Kubernetes name');
  }
  return s;
}

const KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Kubernetes equality- and set-based label selector syntax, validated. */
export function parseLabelSelector(raw: string): string {
  const s = raw.trim();
  if (s === '') throw new Error('empty selector');
  for (const term of splitSelector(s)) {
    const t = term.trim();
    let m: RegExpExecArray | null;
    if ((m = /^(!?)\s*([^\s!=(),]+)$/.exec(t))) {
      if (!KEY.test(m[2] ?? '')) throw new Error(`bad key in "${t}"`);
    } else if ((m = /^([^\s!=(),]+)\s*(==|!=|=)\s*([^\s!=(),]*)$/.exec(t))) {
      if (!KEY.test(m[1] ?? '') || !VALUE.test(m[3] ?? '')) {
        throw new Error(`bad term "${t}"`);
      }
    } else if ((m = /^([^\s!=(),]+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(t))) {
      const values = (m[3] ?? '').split(',').map((v) => v.trim());
      if (!KEY.test(m[1] ?? '') || !values.every((v) => VALUE.test(v))) {
        throw new Error(`bad term "${t}"`);
      }
    } else {
      throw new Error(`bad term "${t}"`);
    }
  }
  return s;
}

function splitSelector(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/**
 * A file or directory path without control characters: a newline in a path
 * would reach log lines and could start a workflow command there.
 */
export function parsePath(raw: string): string {
  if (raw.trim() === '') throw new Error('empty path');
  if (hasControlCharacters(raw))
    throw new Error('contains a control character such as a newline');
  return raw;
}

/**
 * A directory inside a container, for procedures that touch files there:
 * absolute, without `.` or `..` segments, never `/` itself nor a kernel
 * filesystem (/proc, /sys, /dev). A trailing slash is dropped.
 */
export function parseContainerDir(raw: string): string {
  const s = parsePath(raw).trim();
  if (!s.startsWith('/')) throw new Error('not an absolute path');
  const parts = s.split('/').filter((x) => x !== '');
  if (parts.some((x) => x === '.' || x === '..'))
    throw new Error('contains a . or .. segment');
  if (parts.length === 0)
    throw new Error('/ is refused: name a directory below it');
  if (['proc', 'sys', 'dev'].includes(parts[0] ?? ''))
    throw new Error(`/${parts[0]} is a kernel filesystem, refused`);
  return `/${parts.join('/')}`;
}

/** An absolute http(s) URL. */
export function parseHttpUrl(raw: string): URL {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw new Error('not a URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new Error('not an http(s) URL');
  }
  return u;
}

/** The YAML 1.2 core-schema booleans, the set `core.getBooleanInput` takes. */
export function parseBoolean(raw: string): boolean {
  const s = raw.trim();
  if (['true', 'True', 'TRUE'].includes(s)) return true;
  if (['false', 'False', 'FALSE'].includes(s)) return false;
  throw new Error('not a boolean');
}

/** A whole number within bounds. */
export function parseInteger(raw: string, min: number, max: number): number {
  const s = raw.trim();
  if (!/^-?\d+$/.test(s)) throw new Error('not an integer');
  const v = Number(s);
  if (v < min || v > max) throw new Error('out of range');
  return v;
}

/** One item per line, or comma-separated; blanks and `#` comments dropped. */
export function parseList(raw: string): string[] {
  return raw
    .split(/[\n,]/)
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter((l) => l !== '');
}

/** An argv as a JSON or YAML flow list of strings: `["python3", "-c", "..."]`. */
export function parseArgv(
  raw: string,
  parseYaml: (s: string) => unknown,
): string[] {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    v = parseYaml(raw);
  }
  if (
    !Array.isArray(v) ||
    v.length === 0 ||
    !v.every((x) => typeof x === 'string')
  ) {
    throw new Error('not a list of strings');
  }
  return v;
}
