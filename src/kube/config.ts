import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { ConfigurationError, errorMessage } from '../errors.js';
import { FileReadError, readFileCappedSync } from '../process/read-file.js';

/** A kubeconfig file larger than this is refused rather than read. */
export const KUBECONFIG_MAX_BYTES = 1024 * 1024;

/** Where the cluster credentials come from. */
export interface KubeTarget {
  /** A kubeconfig path or inline kubeconfig (YAML or JSON); empty = env, else in-cluster. */
  kubeconfig?: string;
  context?: string;
  env?: NodeJS.ProcessEnv;
  /** Hears every credential value found, for masking. */
  maskSecret?: (v: string) => void;
}

/**
 * Whether a kubeconfig input is inline content (YAML or JSON) rather than a
 * path: anything that is not the path of an existing, readable regular file.
 * Decides masking, so when in doubt it says inline.
 */
export function isInlineKubeconfig(v: string): boolean {
  const s = v.trim();
  return s !== '' && !isReadableRegularFile(s);
}

function isReadableRegularFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    // Not there, not readable, or not a possible path (too long, NUL).
    return false;
  }
}

/**
 * Loads the kubeconfig: the `kubeconfig` input (a path or inline content),
 * else KUBECONFIG, else the in-cluster service account. Selects `context`.
 * Messages never quote inline content or a file's content.
 */
export function loadKubeConfig(
  k8s: typeof import('@kubernetes/client-node'),
  t: KubeTarget,
): KubeConfig {
  const kc = new k8s.KubeConfig();
  const env = t.env ?? process.env;
  const src = t.kubeconfig?.trim() ?? '';
  if (src !== '' && isInlineKubeconfig(src)) {
    loadInline(kc, src);
  } else if (src !== '') {
    loadFile(kc, src, `input 'kubeconfig': the kubeconfig file ${src}`);
  } else if (env['KUBECONFIG']) {
    const file = env['KUBECONFIG'].split(':')[0] ?? '';
    if (!existsSync(file)) {
      throw new ConfigurationError(
        `KUBECONFIG points at ${file}, which does not exist`,
      );
    }
    loadFile(kc, file, `the kubeconfig file ${file} (from KUBECONFIG)`);
  } else if (env['KUBERNETES_SERVICE_HOST']) {
    try {
      kc.loadFromCluster();
    } catch (e) {
      throw new ConfigurationError(
        `the in-cluster service account could not be loaded: ${errorMessage(e)}`,
      );
    }
  } else {
    throw new ConfigurationError(
      "no cluster credentials: set input 'kubeconfig' (a path or inline YAML), or KUBECONFIG, or run inside a cluster",
    );
  }
  selectContext(kc, t.context);
  for (const u of kc.getUsers()) {
    for (const v of [u.token, u.password, u.keyData, u.certData]) {
      if (v) t.maskSecret?.(v);
    }
  }
  return kc;
}

function loadInline(kc: KubeConfig, src: string): void {
  const notAFile =
    "input 'kubeconfig' is neither the path of a readable regular file nor inline kubeconfig YAML or JSON";
  if (!src.includes('\n') && existsQuietly(src)) {
    throw new ConfigurationError(
      "input 'kubeconfig' names a path that is not a readable regular file (a directory, device, FIFO or unreadable file): give a kubeconfig file or inline kubeconfig",
    );
  }
  try {
    kc.loadFromString(src);
  } catch (e) {
    throw new ConfigurationError(`${notAFile} (${safeReason(e)})`);
  }
  if (
    kc.getClusters().length === 0 &&
    kc.getContexts().length === 0 &&
    kc.getUsers().length === 0
  ) {
    // A mistyped path, a directory or a device parses as a YAML scalar.
    throw new ConfigurationError(
      `${notAFile} (no clusters, contexts or users)`,
    );
  }
}

function existsQuietly(path: string): boolean {
  try {
    return existsSync(path);
  } catch {
    return false;
  }
}

function loadFile(kc: KubeConfig, file: string, what: string): void {
  let text: string;
  try {
    text = readFileCappedSync(file, KUBECONFIG_MAX_BYTES, what);
  } catch (e) {
    if (e instanceof FileReadError) throw new ConfigurationError(e.message);
    throw e;
  }
  try {
    kc.loadFromString(text);
  } catch (e) {
    throw new ConfigurationError(`${what} is not valid: ${safeReason(e)}`);
  }
  // As KubeConfig.loadFromFile does: certificate paths are relative to it.
  kc.makePathsAbsolute(dirname(file));
}

function selectContext(kc: KubeConfig, context: string | undefined): void {
  if (context) {
    if (!kc.getContexts().some((c) => c.name === context)) {
      const known = kc
        .getContexts()
        .map((c) => c.name)
        .join(', ');
      throw new ConfigurationError(
        `input 'context': no context named "${context}" in the kubeconfig (contexts: ${known || 'none'})`,
      );
    }
    kc.setCurrentContext(context);
  }
  if (!kc.getCurrentCluster()) {
    throw new ConfigurationError(
      "the kubeconfig has no current cluster: set input 'context'",
    );
  }
}

/**
 * Why a kubeconfig did not load, without any of its text: a YAML parser's
 * messages quote the offending line, which may hold a token.
 */
function safeReason(e: unknown): string {
  if (!(e instanceof Error)) return 'unreadable';
  const y = e as Error & { reason?: unknown; mark?: { line?: unknown } };
  if (e.name === 'YAMLException') {
    // Only a plain-words reason: some quote a tag or a character of the text.
    const reason =
      typeof y.reason === 'string' && /^[a-z][a-z ,-]*$/i.test(y.reason)
        ? y.reason
        : 'invalid YAML';
    const line = typeof y.mark?.line === 'number' ? y.mark.line + 1 : undefined;
    return line === undefined ? reason : `${reason} at line ${line}`;
  }
  // client-node's structural checks name a field, never a value.
  if (/^(clusters|users|contexts)\[\d+\][\w.]* is missing$/.test(e.message))
    return e.message;
  return `${e.name === 'Error' ? 'invalid' : e.name} kubeconfig`;
}
