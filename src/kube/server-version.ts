import type { Kube } from './client.js';

/** What the API server says it is (`GET /version`). */
export interface KubeServerVersion {
  /** "v1.32.4", "v1.33.1-eks-4096722". */
  gitVersion: string;
  major: string;
  /** "32", or "32+" on some managed clusters. */
  minor: string;
  platform?: string;
}

/** `GET /version` of the API server: open to every authenticated identity (system:discovery). */
export async function readServerVersion(
  kube: Kube,
): Promise<KubeServerVersion> {
  const v = await kube.call('read the API server version (/version)', () =>
    kube.api(kube.lib.VersionApi).getCode(),
  );
  return {
    gitVersion: v.gitVersion,
    major: v.major,
    minor: v.minor,
    ...(v.platform ? { platform: v.platform } : {}),
  };
}
