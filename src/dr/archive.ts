import { existsSync } from 'node:fs';
import type { RemoteOpener } from '../archive/archive-reader.js';
import type { Component, Manifest } from '../archive/manifest.js';
import { namePattern } from '../archive/naming.js';
import {
  listArchives,
  splitFuture,
  type FoundArchive,
} from '../archive/retention.js';
import { verifyArchive, type MemberHooks } from '../archive/verify.js';
import { ConfigurationError, RefusedError } from '../errors.js';
import type { Check } from '../report/step-result.js';

/** An archive that passed verification, newest of those tried. */
export interface VerifiedCandidate {
  path: string;
  /** The time in its name. */
  at: Date;
  manifest: Manifest;
  /** config.yaml, parsed (in memory only). */
  configDocs: Record<string, unknown>[];
  /** The verification's checks (all passed or warnings). */
  checks: Check[];
  /** Newer archives passed over, each with why (failed verification, from the future). */
  passedOver: { path: string; why: string }[];
}

/** Where to look and how to read. */
export interface CandidateSource {
  /** A directory on the runner, or an s3:// folder (then `bucket` lists it). */
  destination: string;
  prefix: string;
  identities: string[];
  /** Components the archive must hold (e.g. database). */
  required: Set<Component>;
  now: Date;
  bucket?: { list(prefix: string): Promise<FoundArchive[]> };
  remote?: RemoteOpener;
  /** How many archives to try, newest first, before giving up (default 5). */
  maxTries?: number;
  /**
   * Hooks given to the verification of each candidate (a restore test into
   * a scratch database); a hook's failure fails that candidate.
   */
  hooks?: (path: string) => MemberHooks;
  /** Hears each candidate tried and what came of it. */
  onTry?: (path: string, ok: boolean, why: string) => void;
}

/**
 * The newest archive of `prefix` in `destination` that verifies (decrypts,
 * every member matches the manifest, the seal, the required components):
 * backup-verify's verification applied newest first, passing over archives
 * that fail it or are named from the future. Throws a RefusedError naming
 * each candidate's failure when none of the newest `maxTries` verifies.
 */
export async function newestVerifiedArchive(
  s: CandidateSource,
): Promise<VerifiedCandidate> {
  if (!s.bucket && !existsSync(s.destination))
    throw new ConfigurationError(
      `input 'destination': no directory at ${s.destination}`,
    );
  const all = s.bucket
    ? await s.bucket.list(s.prefix)
    : await listArchives(s.destination, s.prefix);
  const { trusted, future } = splitFuture(all, s.now);
  const passedOver = future.map((f) => ({
    path: f.path,
    why: `named from the future (${f.at.toISOString()})`,
  }));
  const tries = trusted.slice(0, s.maxTries ?? 5);
  for (const a of tries) {
    const v = await verifyArchive(
      a.path,
      s.identities,
      s.required,
      s.hooks?.(a.path) ?? {},
      { now: s.now, remote: s.remote },
    );
    const bad = v.checks.find((c) => c.status === 'failed');
    if (v.ok && v.manifest && !bad) {
      s.onTry?.(a.path, true, 'verified');
      return {
        path: a.path,
        at: a.at,
        manifest: v.manifest,
        configDocs: v.configDocs ?? [],
        checks: v.checks,
        passedOver,
      };
    }
    const why = bad
      ? `${bad.name}: ${bad.observed}`
      : 'no manifest could be read';
    s.onTry?.(a.path, false, why);
    passedOver.push({ path: a.path, why });
  }
  const where = `${namePattern(s.prefix)} in ${s.destination}`;
  if (trusted.length === 0)
    throw new RefusedError(
      `no archive named ${where}${future.length ? ` (only ${future.length} named from the future)` : ''}`,
    );
  throw new RefusedError(
    `none of the newest ${tries.length} archive(s) ${where} verifies: ${passedOver
      .map((p) => `${p.path.split('/').pop() ?? ''}: ${p.why}`)
      .join('; ')}`,
  );
}
