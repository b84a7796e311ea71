/**
 * Container image references, as the distribution reference grammar reads
 * them: `[host[:port]/]path[:tag][@algorithm:hex]`.
 */

/** A parsed image reference. */
export interface ImageRef {
  /** Repository with its registry host, as written ("ghcr.io/org/app"). */
  repository: string;
  tag?: string;
  /** "sha256:..." when pinned by digest. */
  digest?: string;
}

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const HOST =
  '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?';
const REFERENCE = new RegExp(
  `^((?:${HOST}/)?${COMPONENT}(?:/${COMPONENT})*)(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128}))?$`,
);

/** Parses an image reference; throws a plain Error saying what is wrong. */
export function parseImage(raw: string): ImageRef {
  const s = raw.trim();
  if (s.length > 4096) throw new Error('longer than 4096 characters');
  const m = REFERENCE.exec(s);
  if (!m) {
    if (/[A-Z]/.test(s.split(/[:@]/)[0]?.split('/').slice(1).join('/') ?? ''))
      throw new Error('repository names are lowercase');
    if (/@/.test(s))
      throw new Error('the digest must be sha256:<64 hex> (or sha512)');
    throw new Error('not an image reference');
  }
  const [, repository = '', tag, digest] = m;
  if (repository.length > 255)
    throw new Error('repository name longer than 255 characters');
  return {
    repository,
    ...(tag ? { tag } : {}),
    ...(digest ? { digest } : {}),
  };
}

/** The digest a pod's `imageID` carries ("repo@sha256:..."), if any. */
export function digestOfImageId(
  imageID: string | undefined,
): string | undefined {
  return /@(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/.exec(
    imageID ?? '',
  )?.[1];
}
