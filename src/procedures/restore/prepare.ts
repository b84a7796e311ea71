import { ConfigurationError } from '../../errors.js';
import { locateArchive } from '../../archive/locate.js';
import type { RemoteOpener } from '../../archive/archive-reader.js';
import type { FoundArchive } from '../../archive/retention.js';
import type { Component, Manifest } from '../../archive/manifest.js';
import { verifyArchive } from '../../archive/verify.js';
import type { Check } from '../../report/step-result.js';

/** A verified archive and what of it this run restores. */
export interface VerifiedArchive {
  path: string;
  manifest: Manifest;
  configDocs: Record<string, unknown>[];
  /** The requested components the archive holds, in a fixed order. */
  components: Component[];
  /** Requested components the archive does not hold. */
  missing: Component[];
  /** The member checksums: the archive's identity in the plan. */
  identity: string;
}

/**
 * Finds the archive and verifies it whole (decrypt, every member against the
 * manifest). Returns the failing checks instead when it is not usable.
 */
export async function verifiedArchive(
  o: {
    archive: string | undefined;
    destination: string | undefined;
    prefix: string;
  },
  identities: string[],
  wanted: Set<Component>,
  now: Date,
  access: {
    bucket?: { list(prefix: string): Promise<FoundArchive[]> };
    remote?: RemoteOpener;
  } = {},
): Promise<VerifiedArchive | { path: string; failed: Check[] }> {
  const found = await locateArchive({ ...o, bucket: access.bucket, now });
  const v = await verifyArchive(
    found.path,
    identities,
    new Set(),
    {},
    { now, remote: access.remote },
  );
  const bad = v.checks.filter((c) => c.status === 'failed');
  if (!v.manifest || bad.length > 0)
    return {
      path: found.path,
      failed: bad.length > 0 ? v.checks : [...v.checks, noManifest()],
    };
  const inArchive = new Set(v.manifest.members.map((m) => m.component));
  const order: Component[] = ['database', 'config', 'appdata'];
  return {
    path: found.path,
    manifest: v.manifest,
    configDocs: v.configDocs ?? [],
    components: order.filter((c) => wanted.has(c) && inArchive.has(c)),
    missing: order.filter((c) => wanted.has(c) && !inArchive.has(c)),
    identity: v.manifest.members.map((x) => x.sha256).join(','),
  };
}

function noManifest(): Check {
  return { name: 'manifest', status: 'failed', observed: 'no manifest' };
}

/** Rules that depend on what the archive holds, checked before connecting. */
export function checkRestorable(
  a: VerifiedArchive,
  o: { appdataPod: string | undefined; appdataSelector: string | undefined },
  hasCluster: boolean,
): void {
  const needKube =
    a.components.includes('config') || a.components.includes('appdata');
  if (needKube && !hasCluster)
    throw new ConfigurationError(
      "restoring config or app data needs cluster credentials: set input 'kubeconfig'",
    );
  if (a.components.includes('appdata') && !o.appdataPod && !o.appdataSelector)
    throw new ConfigurationError(
      "restoring appdata needs input 'appdata-pod' or 'appdata-selector'",
    );
  if (a.components.length === 0)
    throw new ConfigurationError(
      `input 'components': the archive holds none of them (it has ${a.manifest.members.map((m) => m.component).join(', ')})`,
    );
}
