import { kubeInputs } from '../../inputs/groups.js';
import { input } from '../../inputs/spec.js';
import { changeControlInputs } from '../../plan/change-control.js';

/** Inputs of the scale procedure (names and defaults are a contract). */
export const scaleInputs = {
  ...kubeInputs,
  namespace: input.kubeName('namespace', {
    default: 'pqc-audit',
    description: 'Namespace of the Deployment.',
  }),
  deployment: input.kubeName('deployment', {
    default: 'pqc-audit',
    description: 'The Deployment to scale.',
  }),
  replicas: input.integer('replicas', {
    default: undefined,
    min: 0,
    max: 1000,
    description: 'The replica count to set.',
  }),
  timeout: input.duration('timeout', {
    default: '5m',
    timer: true,
    description:
      'How long to wait for the scaled Deployment to become available.',
  }),
  lockName: input.kubeName('lock-name', {
    default: 'pqc-ops-scale',
    description:
      'Lease (in the namespace) held while applying, so two runs never change the Deployment at once.',
  }),
  ...changeControlInputs,
};
