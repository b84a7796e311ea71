import { input } from './spec.js';
import { isInlineKubeconfig } from '../kube/config.js';

/** Inputs shared by every procedure that talks to a cluster. */
export const kubeInputs = {
  kubeconfig: input.string('kubeconfig', {
    description:
      'Kubeconfig as a file path or inline YAML. Empty: $KUBECONFIG, else the in-cluster service account.',
    secret: isInlineKubeconfig,
  }),
  context: input.string('context', {
    description: 'Kubeconfig context to use. Empty: the current context.',
  }),
};

/**
 * One or more namespaces (one per line or comma-separated), or `*` for every
 * namespace (then one cluster-wide list instead of one per namespace).
 */
export function namespacesInput(def: string, description: string) {
  return input.listOf(
    'namespaces',
    /^(\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$/,
    'namespace names (or * for all)',
    { default: def, description },
  );
}

/** The scope a `namespaces` input names: the list, or '*' for all. */
export function namespaceScope(
  list: readonly string[],
): readonly string[] | '*' {
  return list.includes('*') ? '*' : [...new Set(list)];
}
