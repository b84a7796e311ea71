import { kubeInputs } from '../../inputs/groups.js';
import { healthRoundInputs } from '../../inputs/groups-health.js';
import { input, type OptionsOf } from '../../inputs/spec.js';
import { changeControlInputs } from '../../plan/change-control.js';

/** Inputs of the rollout procedure (names and defaults are a contract). */
export const rolloutInputs = {
  ...kubeInputs,
  namespace: input.kubeName('namespace', {
    default: 'pqc-audit',
    description: 'Namespace of the Deployment.',
  }),
  deployment: input.kubeName('deployment', {
    default: 'pqc-audit',
    description: 'The Deployment to update.',
  }),
  container: input.optionalKubeName('container', {
    description:
      "The container whose image is set. Empty: the pod template's first container.",
  }),
  image: input.image('image', {
    default: undefined,
    description:
      'The new image, preferably by digest (registry/repo@sha256:..., as docker/build-push-action outputs it); a tag alone is a warning, since a tag can move.',
  }),
  timeout: input.duration('timeout', {
    default: '10m',
    timer: true,
    description:
      "How long to wait for the rollout, with kubectl rollout status's logic (the Deployment's progress deadline ends it sooner); on failure the rollout is undone.",
  }),
  undoOnUnhealthy: input.boolean('undo-on-unhealthy', {
    default: 'true',
    description:
      "After a complete rollout, run the health check (the health procedure's checks) and undo the rollout when it says unhealthy.",
  }),
  selector: input.selector('selector', {
    default: 'app=pqc-audit',
    description:
      'Label selector of the application pods, for the health check.',
  }),
  ...healthRoundInputs,
  lockName: input.kubeName('lock-name', {
    default: 'pqc-ops-rollout',
    description:
      'Lease (in the namespace) held while applying, so two runs never change the Deployment at once.',
  }),
  ...changeControlInputs,
};

/** The rollout procedure's validated options. */
export type RolloutOptions = OptionsOf<typeof rolloutInputs>;
