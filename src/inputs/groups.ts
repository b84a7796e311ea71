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

/** The change-control inputs of every procedure that mutates. */
export const changeControlInputs = {
  mode: input.enumeration('mode', ['plan', 'apply', 'auto'] as const, {
    default: 'plan',
    description:
      'plan: compute and show the changes, change nothing. apply: execute an approved plan (input plan). auto: plan and apply in one step (sandbox, staging).',
  }),
  plan: input.string('plan', {
    description:
      'For mode apply: the approved plan, as JSON or a path to the plan file.',
  }),
  planSha256: input.string('plan-sha256', {
    description:
      "For mode apply: the sha256 of the approved plan (the plan job's plan-sha256 output). When given, any other plan is refused.",
  }),
};
