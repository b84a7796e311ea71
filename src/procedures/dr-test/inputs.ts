import {
  archiveLocationInputs,
  databaseInputs,
  pushgatewayInput,
  s3Inputs,
} from '../../inputs/groups-archive.js';
import { httpTimeoutInput } from '../../inputs/groups-health.js';
import { healthCheckInputs } from '../../inputs/groups-health.js';
import { kubeInputs } from '../../inputs/groups.js';
import { input, type OptionsOf } from '../../inputs/spec.js';
import { changeControlInputs } from '../../plan/change-control.js';

/** Inputs of the dr-test procedure (names and defaults are a contract). */
export const drTestInputs = {
  ...kubeInputs,
  namespace: input.kubeName('namespace', {
    default: 'pqc-audit',
    description:
      'Namespace of the application and database Deployments, their pods and the Leases.',
  }),
  deployment: input.kubeName('deployment', {
    default: 'pqc-audit',
    description:
      'The application Deployment: scaled to 0 while the database is restored, then back to its recorded count.',
  }),
  selector: input.selector('selector', {
    default: 'app=pqc-audit',
    description:
      'Label selector of the application pods that must all be Ready for the service to count as healthy.',
  }),
  databaseDeployment: input.kubeName('database-deployment', {
    default: 'postgres',
    description:
      "The database Deployment scaled to 0 to simulate the failure (the runbook's kubectl scale deployment postgres --replicas=0).",
  }),
  ...archiveLocationInputs,
  ...s3Inputs,
  ageIdentity: input.string('age-identity', {
    secret: true,
    description:
      'age identity (AGE-SECRET-KEY-1... or AGE-SECRET-KEY-PQ-1...) for encrypted archives.',
  }),
  verifyLimit: input.integer('verify-limit', {
    default: '5',
    min: 1,
    max: 100,
    description:
      'How many archives, newest first, are verified looking for one that passes before the test gives up.',
  }),
  ...databaseInputs,
  healthUrl: healthCheckInputs.healthUrl,
  expectedStatus: healthCheckInputs.expectedStatus,
  httpTimeout: httpTimeoutInput('http-timeout'),
  timeout: input.duration('timeout', {
    default: '10m',
    timer: true,
    description:
      'How long each wait may take: the database going down, each rollout back, the service becoming healthy, each failover rollout.',
  }),
  rtoTarget: input.duration('rto-target', {
    default: '1h',
    description:
      'Recovery time objective: the test fails when failure-to-healthy takes longer.',
  }),
  rpoTarget: input.duration('rpo-target', {
    default: '24h',
    description:
      'Recovery point objective: the test fails when the restored data is older than this at the failure.',
  }),
  failoverManifests: input.list('failover-manifests', {
    description:
      'Cross-cluster failover: manifest files or directories (*.yaml, *.yml, *.json in it), applied to dr-context (server-side apply) after the test, each rollout waited for. Empty: no failover.',
  }),
  drContext: input.string('dr-context', {
    description:
      'Kubeconfig context of the DR cluster the failover manifests go to (needed with failover-manifests).',
  }),
  lockNames: input.listOf(
    'lock-names',
    /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
    'Lease names',
    {
      default: 'pqc-ops-backup,pqc-ops-scale',
      description:
        "Leases (in the namespace) held while applying: by default backup's and restore's, and scale's, so none of them runs against the target during the test.",
    },
  ),
  ...changeControlInputs,
  ...pushgatewayInput,
};

/** The parsed inputs of dr-test. */
export type DrTestOptions = OptionsOf<typeof drTestInputs>;
