import { errorMessage } from '../errors.js';
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { Check } from '../report/step-result.js';
import {
  hashChunks,
  openAny,
  readManifest,
  readSmall,
  readTar,
  type MemberStream,
  type RemoteOpener,
} from './archive-reader.js';
import {
  MEMBERS,
  SEALED_SINCE_VERSION,
  parseSeal,
  type Component,
  type Manifest,
  type MemberRecord,
} from './manifest.js';
import { archiveTimeCheck, parseConfigYaml } from './verify-checks.js';

/** What a verification pass saw. */
export interface Verification {
  manifest?: Manifest;
  checks: Check[];
  ok: boolean;
  /** config.yaml, parsed (kept in memory only). */
  configDocs?: Record<string, unknown>[];
}

/** Hooks for members, e.g. streaming the dump into pg_restore. */
export interface MemberHooks {
  /** Consumes the dump's chunks (already hashed by the caller's wrapper). */
  database?: (chunks: AsyncIterable<Buffer>) => Promise<void>;
  appdata?: (chunks: AsyncIterable<Buffer>) => Promise<void>;
}

async function* hashing(
  m: MemberStream,
  h: ReturnType<typeof createHash>,
  count: { n: number },
): AsyncGenerator<Buffer> {
  for await (const c of m.body) {
    h.update(c);
    count.n += c.length;
    yield c;
  }
}

/** Options of verifyArchive. */
export interface VerifyOptions {
  /** The clock: a manifest time further ahead than clock skew fails. */
  now?: Date;
  /** How to open an archive given as a URL (an s3:// object). */
  remote?: RemoteOpener;
}

/**
 * Reads the whole archive once: decrypts (every age chunk authenticated),
 * walks the tar strictly, checks each member's size and sha256 against the
 * manifest, the manifest's own sha256 against manifest.sha256 (the last
 * member; archives of format version 1 have none: a warning), the manifest's
 * time against the file name's, the required members, and parses
 * config.yaml. Hooks may consume members as they stream past (the dump into
 * a scratch database).
 *
 * manifest.sha256 catches a manifest edited by hand or by a tool that does
 * not know about it, and damage; it is not a signature: whoever can rewrite
 * the archive can recompute it.
 */
export async function verifyArchive(
  path: string,
  identities: string[],
  required: Set<Component>,
  hooks: MemberHooks = {},
  options: VerifyOptions = {},
): Promise<Verification> {
  const checks: Check[] = [];
  const v: Verification = { checks, ok: false };
  try {
    const tar = readTar(openAny(path, identities, options.remote));
    const { manifest, manifestSha } = await readHashedManifest(tar);
    v.manifest = manifest;
    checks.push({
      name: 'manifest',
      status: 'ok',
      observed: `format ${manifest.format} v${manifest.formatVersion}, ${manifest.members.length} member(s), written ${manifest.endedAt}`,
    });
    const expected = new Map(manifest.members.map((m) => [m.name, m]));
    const { seen, sealed } = await walkMembers(
      tar,
      expected,
      manifestSha,
      hooks,
      v,
    );
    if (!sealed) checks.push(missingSealCheck(manifest));
    checks.push(archiveTimeCheck(basename(path), manifest, options.now));
    pushCompletenessChecks(checks, expected, seen, manifest, required);
    if (v.configDocs)
      checks.push({
        name: 'config.yaml',
        status: 'ok',
        observed: `${v.configDocs.length} object(s) parse as ConfigMaps/Secrets`,
      });
  } catch (e) {
    checks.push(
      failed('integrity', e instanceof Error ? e.message : String(e)),
    );
  }
  v.ok = checks.every((c) => c.status !== 'failed');
  return v;
}

function failed(name: string, observed: string, detail?: string): Check {
  return { name, status: 'failed', observed, detail };
}

/** Reads the first member as the manifest, hashing it on the way. */
async function readHashedManifest(
  tar: AsyncGenerator<MemberStream>,
): Promise<{ manifest: Manifest; manifestSha: string }> {
  const first = await tar.next();
  const manifestHash = createHash('sha256');
  const manifest = await readManifest(
    first.done
      ? undefined
      : {
          ...first.value,
          body: hashing(first.value, manifestHash, { n: 0 }),
        },
  );
  return { manifest, manifestSha: manifestHash.digest('hex') };
}

/**
 * Walks the members after the manifest: the seal must come last, every other
 * member must be listed once and match its record.
 */
async function walkMembers(
  tar: AsyncGenerator<MemberStream>,
  expected: Map<string, MemberRecord>,
  manifestSha: string,
  hooks: MemberHooks,
  v: Verification,
): Promise<{ seen: Set<string>; sealed: boolean }> {
  const seen = new Set<string>();
  let sealed = false;
  for await (const m of tar) {
    if (sealed)
      throw new Error(
        `the archive holds ${m.name} after ${MEMBERS.seal}, which must be the last member`,
      );
    if (m.name === MEMBERS.seal) {
      sealed = true;
      const stored = parseSeal(await readSmall(m, 1024));
      v.checks.push(sealCheck(stored, manifestSha));
      continue;
    }
    const rec = expected.get(m.name);
    if (!rec)
      throw new Error(
        `the archive holds ${m.name}, which the manifest does not list`,
      );
    if (seen.has(m.name)) throw new Error(`the archive holds ${m.name} twice`);
    seen.add(m.name);
    await verifyMember(m, rec, hooks, v);
  }
  return { seen, sealed };
}

function sealCheck(stored: string, manifestSha: string): Check {
  if (stored === manifestSha)
    return {
      name: 'manifest seal',
      status: 'ok',
      observed: `${MEMBERS.manifest} matches ${MEMBERS.seal}`,
    };
  return failed(
    'manifest seal',
    `${MEMBERS.manifest} does not match ${MEMBERS.seal}: the manifest was modified or is damaged`,
    `read sha256 ${manifestSha.slice(0, 16)}...; ${MEMBERS.seal} says ${stored.slice(0, 16)}...`,
  );
}

/**
 * Hashes one member while config.yaml is parsed or a hook consumes it, and
 * checks it against its record; a hook's error is thrown after the check.
 */
async function verifyMember(
  m: MemberStream,
  rec: MemberRecord,
  hooks: MemberHooks,
  v: Verification,
): Promise<void> {
  const h = createHash('sha256');
  const count = { n: 0 };
  let hookError: unknown;
  if (m.name === MEMBERS.config) {
    const data = await readSmall({ ...m, body: hashing(m, h, count) });
    try {
      v.configDocs = parseConfigYaml(data.toString('utf8'));
    } catch (e) {
      hookError = e;
    }
  } else {
    const hook =
      m.name === MEMBERS.database
        ? hooks.database
        : m.name === MEMBERS.appdata
          ? hooks.appdata
          : undefined;
    if (hook) {
      await hook(hashing(m, h, count)).catch((e: unknown) => (hookError = e));
    }
    await hashChunks(hashing(m, h, count));
  }
  const sha = h.digest('hex');
  if (count.n !== rec.size || sha !== rec.sha256) {
    v.checks.push(
      failed(
        `member ${m.name}`,
        `${m.name} does not match the manifest: it was modified or is damaged`,
        `read sha256 ${sha.slice(0, 16)}... (${count.n} bytes); the manifest says ${rec.sha256.slice(0, 16)}... (${rec.size} bytes)`,
      ),
    );
  } else {
    v.checks.push({
      name: `member ${m.name}`,
      status: 'ok',
      observed: `${count.n} bytes, sha256 matches the manifest`,
    });
  }
  if (hookError) {
    throw hookError instanceof Error
      ? hookError
      : new Error(errorMessage(hookError));
  }
}

function missingSealCheck(manifest: Manifest): Check {
  if (manifest.formatVersion >= SEALED_SINCE_VERSION)
    return failed(
      'manifest seal',
      `${MEMBERS.seal} is missing, though the manifest is format version ${manifest.formatVersion}: the archive was cut short or its manifest replaced`,
    );
  return {
    name: 'manifest seal',
    status: 'warning',
    observed: `format version ${manifest.formatVersion} (older format): no ${MEMBERS.seal}, the manifest itself is not checked`,
    detail:
      'archives written by this version of pqc-ops carry manifest.sha256; take a new backup',
  };
}

/** Members listed but absent, and required components the manifest lacks. */
function pushCompletenessChecks(
  checks: Check[],
  expected: Map<string, MemberRecord>,
  seen: Set<string>,
  manifest: Manifest,
  required: Set<Component>,
): void {
  const missing = [...expected.keys()].filter((n) => !seen.has(n));
  if (missing.length > 0)
    checks.push(
      failed(
        'members',
        `missing: ${missing.join(', ')}`,
        'members listed in the manifest are absent from the archive',
      ),
    );
  const comps = new Set(manifest.members.map((m) => m.component));
  const absent = [...required].filter((c) => !comps.has(c));
  if (absent.length > 0)
    checks.push(failed('required members', `missing: ${absent.join(', ')}`));
  else
    checks.push({
      name: 'required members',
      status: 'ok',
      observed: `present: ${[...required].join(', ') || 'none required'}`,
    });
}
