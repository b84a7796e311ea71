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
