import { existsSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';
import { ConfigurationError } from '../errors.js';

/** Where the cluster credentials come from. */
export interface KubeTarget {
  /** A kubeconfig path or inline kubeconfig YAML; empty = env, else in-cluster. */
  kubeconfig?: string;
  context?: string;
  env?: NodeJS.ProcessEnv;
  /** Hears every credential value found, for masking. */
  maskSecret?: (v: string) => void;
}

/** Whether a kubeconfig input is inline YAML rather than a path. */
export function isInlineKubeconfig(v: string): boolean {
  return v.includes('\n') || /^\s*(apiVersion|clusters|kind)\s*:/.test(v);
}

/**
 * Loads the kubeconfig: the `kubeconfig` input (a path or inline YAML), else
 * KUBECONFIG, else the in-cluster service account. Selects `context`.
 */
export function loadKubeConfig(
  k8s: typeof import('@kubernetes/client-node'),
  t: KubeTarget,
): KubeConfig {
  const kc = new k8s.KubeConfig();
  const env = t.env ?? process.env;
  const src = t.kubeconfig?.trim() ?? '';
  try {
    if (src !== '' && isInlineKubeconfig(src)) {
      kc.loadFromString(src);
    } else if (src !== '') {
      if (!existsSync(src)) {
        throw new ConfigurationError(
          `input 'kubeconfig': no file at ${src}: give a kubeconfig path or inline kubeconfig YAML`,
        );
      }
      kc.loadFromFile(src);
    } else if (env['KUBECONFIG']) {
      const file = env['KUBECONFIG'].split(':')[0] ?? '';
      if (!existsSync(file)) {
        throw new ConfigurationError(
          `KUBECONFIG points at ${file}, which does not exist`,
        );
      }
      kc.loadFromFile(file);
    } else if (env['KUBERNETES_SERVICE_HOST']) {
      kc.loadFromCluster();
    } else {
      throw new ConfigurationError(
        "no cluster credentials: set input 'kubeconfig' (a path or inline YAML), or KUBECONFIG, or run inside a cluster",
      );
    }
  } catch (e) {
    if (e instanceof ConfigurationError) throw e;
    throw new ConfigurationError(
      `input 'kubeconfig' could not be loaded: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  if (t.context) {
    if (!kc.getContexts().some((c) => c.name === t.context)) {
      const known = kc
        .getContexts()
        .map((c) => c.name)
        .join(', ');
      throw new ConfigurationError(
        `input 'context': no context named "${t.context}" in the kubeconfig (contexts: ${known || 'none'})`,
      );
    }
    kc.setCurrentContext(t.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new ConfigurationError(
      "the kubeconfig has no current cluster: set input 'context'",
    );
  }
  for (const u of kc.getUsers()) {
    for (const v of [u.token, u.password, u.keyData, u.certData]) {
      if (v) t.maskSecret?.(v);
    }
  }
  return kc;
}
