/**
 * The version policy: minimum versions and end-of-life dates per component,
 * read from YAML, and the judgement of one running version against it.
 */
import { readFileSync, statSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parsePath } from '../../inputs/parsers.js';
import { DEFAULT_POLICY } from './default-policy.js';
import {
  compareVersions,
  formatVersion,
  inRelease,
  parseVersion,
} from './versions.js';

/** The products with a section of their own. */
export const PRODUCTS = [
  'kubernetes',
  'postgresql',
  'cert-manager',
  'prometheus',
] as const;
export type Product = (typeof PRODUCTS)[number];

/** The end of support of one release line. */
export interface EndOfLife {
  /** "1.33", "15". */
  release: string;
  parts: number[];
  /** YYYY-MM-DD, the last day of support. */
  date: string;
  /** The first moment out of support: the day after `date`, 00:00 UTC. */
  endsAtMs: number;
}

/** What the policy holds for one component. */
export interface Rule {
  minimum?: { text: string; parts: number[] };
  endOfLife: EndOfLife[];
}

/** A parsed policy. */
export interface Policy {
  products: Partial<Record<Product, Rule>>;
  /** By normalised repository (docker.io/library/postgres). */
  images: Map<string, Rule>;
  /** By normalised package name (PEP 503). */
  pythonPackages: Map<string, Rule>;
  /** Where it came from: a path, or "the default policy". */
  source: string;
}

/** The accepted form, for the input's error messages and docs. */
export const POLICY_FORM =
  "a YAML policy (the path of a file, or the YAML itself on several lines or as {...}) with sections kubernetes, postgresql, cert-manager, prometheus, images (by repository) and python-packages (by name), each giving minimum: '<version>' and end-of-life: {'<release>': YYYY-MM-DD}";

const SECTIONS = [...PRODUCTS, 'images', 'python-packages'];
const DAY_MS = 86_400_000;

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function versionOf(v: unknown, where: string): number[] {
  const parts = typeof v === 'string' ? parseVersion(v) : undefined;
  if (!parts || typeof v !== 'string' || !/^v?\d+(\.\d+)*$/.test(v.trim()))
    throw new Error(
      `${where}: ${JSON.stringify(v)} is not a version such as '1.33' or '15'`,
    );
  return parts;
}

function dateOf(v: unknown, where: string): { date: string; ms: number } {
  const s = typeof v === 'string' ? v.trim() : '';
  const ms = Date.parse(`${s}T00:00:00Z`);
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(s) ||
    !Number.isFinite(ms) ||
    new Date(ms).toISOString().slice(0, 10) !== s
  )
    throw new Error(
      `${where}: ${JSON.stringify(v ?? null)} is not a date such as 2027-11-11`,
    );
  return { date: s, ms: ms + DAY_MS };
}

function ruleOf(v: unknown, where: string): Rule {
  if (v === '' || v === null || v === undefined) return { endOfLife: [] };
  if (!isMap(v))
    throw new Error(
      `${where}: expected a mapping with minimum and end-of-life`,
    );
  const unknown = Object.keys(v).filter(
    (k) => k !== 'minimum' && k !== 'end-of-life',
  );
  if (unknown.length)
    throw new Error(
      `${where}: unknown key ${unknown.map((k) => JSON.stringify(k)).join(', ')} (accepted: minimum, end-of-life)`,
    );
  const rule: Rule = { endOfLife: [] };
  const min = v['minimum'];
  if (min !== undefined && min !== '')
    rule.minimum = {
      parts: versionOf(min, `${where}.minimum`),
      text: (min as string).trim(),
    };
  const eol = v['end-of-life'];
  if (eol !== undefined && eol !== '') {
    if (!isMap(eol))
      throw new Error(
        `${where}.end-of-life: expected a mapping of release to date, such as '15': 2027-11-11`,
      );
    for (const [release, d] of Object.entries(eol)) {
      const at = `${where}.end-of-life.${release}`;
      const { date, ms } = dateOf(d, at);
      rule.endOfLife.push({
        release,
        parts: versionOf(release, at),
        date,
        endsAtMs: ms,
      });
    }
  }
  return rule;
}

/** Repository names as Docker resolves them: postgres -> docker.io/library/postgres. */
export function normalizeRepository(repo: string): string {
  const parts = repo.toLowerCase().split('/');
  const first = parts[0] ?? '';
  const hasHost =
    parts.length > 1 &&
    (first.includes('.') || first.includes(':') || first === 'localhost');
  let host = hasHost ? first : 'docker.io';
  if (host === 'index.docker.io' || host === 'registry-1.docker.io')
    host = 'docker.io';
  const path = hasHost ? parts.slice(1) : parts;
  if (host === 'docker.io' && path.length === 1) path.unshift('library');
  return `${host}/${path.join('/')}`;
}

/** Python package names as PEP 503 compares them. */
export function normalizePackage(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/**
 * Parses policy YAML. Every scalar is read as a string (the failsafe schema),
 * so `1.30:` stays "1.30" and dates stay as written. Throws an Error naming
 * the place in the document that is wrong.
 */
export function parsePolicy(text: string, source: string): Policy {
  let doc: unknown;
  try {
    doc = parseYaml(text, { schema: 'failsafe', uniqueKeys: true });
  } catch (e) {
    throw new Error(
      `not YAML: ${(e instanceof Error ? e.message : String(e)).split('\n')[0] ?? ''}`,
      { cause: e },
    );
  }
  if (doc === null || doc === undefined || doc === '') doc = {};
  if (!isMap(doc)) throw new Error('expected a mapping of sections');
  const unknown = Object.keys(doc).filter((k) => !SECTIONS.includes(k));
  if (unknown.length)
    throw new Error(
      `unknown section ${unknown.map((k) => JSON.stringify(k)).join(', ')} (accepted: ${SECTIONS.join(', ')})`,
    );
  const policy: Policy = {
    products: {},
    images: new Map(),
    pythonPackages: new Map(),
    source,
  };
  for (const p of PRODUCTS)
    if (doc[p] !== undefined) policy.products[p] = ruleOf(doc[p], p);
  for (const [section, map, norm] of [
    ['images', policy.images, normalizeRepository],
    ['python-packages', policy.pythonPackages, normalizePackage],
  ] as const) {
    const v = doc[section];
    if (v === undefined || v === '') continue;
    if (!isMap(v))
      throw new Error(
        `${section}: expected a mapping of ${section === 'images' ? 'repository' : 'package name'} to minimum and end-of-life`,
      );
    for (const [name, r] of Object.entries(v))
      map.set(norm(name), ruleOf(r, `${section}.${name}`));
  }
  return policy;
}

/**
 * The policy of input `policy`: YAML given inline (several lines, or a flow
 * mapping `{...}`; a path holds neither a newline nor a leading brace), the
 * file at a path, or the default when empty.
 */
export function loadPolicy(path: string | undefined): Policy {
  if (path === undefined)
    return parsePolicy(DEFAULT_POLICY, 'the default policy');
  if (path.includes('\n') || path.trimStart().startsWith('{'))
    return parsePolicy(path, 'the policy given inline');
  const file = parsePath(path);
  let text: string;
  try {
    if (statSync(file).size > 1024 * 1024) throw new Error('larger than 1 MiB');
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new Error(
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'a directory, not a file'
          : e instanceof Error
            ? e.message
            : String(e),
      { cause: e },
    );
  }
  return parsePolicy(text, file);
}

/** What the policy says of one version. */
export type Judgement =
  | { kind: 'end-of-life'; eol: EndOfLife }
  | { kind: 'end-of-life-soon'; eol: EndOfLife; days: number }
  | { kind: 'below-minimum'; minimum: string }
  | { kind: 'supported'; eol?: EndOfLife }
  | { kind: 'unknown'; why: string };

/**
 * Judges a running version: below the minimum, past its release line's end
 * of life, within `horizonMs` of it, supported, or unknown (no version, or
 * a release line the policy does not list).
 */
export function judge(
  version: string | undefined,
  rule: Rule | undefined,
  nowMs: number,
  horizonMs: number,
): Judgement {
  if (!rule || (!rule.minimum && rule.endOfLife.length === 0))
    return { kind: 'unknown', why: 'not in the policy' };
  const parts = version === undefined ? undefined : parseVersion(version);
  if (!parts)
    return {
      kind: 'unknown',
      why: `no version number in ${JSON.stringify(version ?? '')}`,
    };
  if (rule.minimum && compareVersions(parts, rule.minimum.parts) < 0)
    return { kind: 'below-minimum', minimum: rule.minimum.text };
  const eol = rule.endOfLife
    .filter((e) => inRelease(e.parts, parts))
    .sort((a, b) => b.parts.length - a.parts.length)[0];
  if (!eol)
    return rule.endOfLife.length
      ? {
          kind: 'unknown',
          why: `release ${formatVersion(parts.slice(0, rule.endOfLife[0]?.parts.length ?? 1))} has no end-of-life date in the policy`,
        }
      : { kind: 'supported' };
  if (nowMs >= eol.endsAtMs) return { kind: 'end-of-life', eol };
  if (eol.endsAtMs - nowMs <= horizonMs)
    return {
      kind: 'end-of-life-soon',
      eol,
      days: Math.ceil((eol.endsAtMs - nowMs) / DAY_MS),
    };
  return { kind: 'supported', eol };
}
