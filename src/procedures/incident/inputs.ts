import { kubeInputs } from '../../inputs/groups.js';
import { healthRoundInputs } from '../../inputs/groups-health.js';
import { input, type OptionsOf } from '../../inputs/spec.js';
import { changeControlInputs } from '../../plan/change-control.js';
import { corruptionInputs } from './corruption-inputs.js';

/** The emergency procedures the incident action runs. */
export const INCIDENTS = [
  'outage',
  'data-corruption',
  'security-incident',
] as const;
export type IncidentKind = (typeof INCIDENTS)[number];

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*=.*$/s;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/** Inputs of the incident procedure (names and defaults are a contract). */
export const incidentInputs = {
  ...kubeInputs,
  procedure: input.enumeration('procedure', INCIDENTS, {
    default: undefined,
    description:
      'The emergency procedure: outage (diagnose, restart, scale out, check health), data-corruption (stop the application, emergency backup, restore the last known good archive, validate at 1 replica, scale back), security-incident (isolate with a deny-all NetworkPolicy, collect evidence, rotate credentials, restart, debug logging).',
  }),
  namespace: input.kubeName('namespace', {
    default: 'pqc-audit',
    description: 'Namespace of the application.',
  }),
  deployment: input.kubeName('deployment', {
    default: 'pqc-audit',
    description: 'The application Deployment.',
  }),
  selector: input.selector('selector', {
    default: 'app=pqc-audit',
    description:
      'Label selector of the application pods (diagnosis, evidence, isolation, health).',
  }),
  logLines: input.integer('log-lines', {
    default: '100',
    min: 1,
    max: 100_000,
    description:
      'Lines of each container log kept by the diagnosis and the evidence (current and previous container).',
  }),
  timeout: input.duration('timeout', {
    default: '5m',
    timer: true,
    description:
      "How long to wait for each rollout (kubectl rollout status's logic).",
  }),
  scaleTo: input.integer('scale-to', {
    default: '5',
    min: 1,
    max: 1000,
    description:
      'outage: scale out to this many replicas after the restart; never down (a Deployment already above keeps its count).',
  }),
  alertWebhook: input.url('alert-webhook', {
    secret: true,
    description:
      'Webhook (Slack-compatible JSON POST) told at the end of every run (applied or failed) with the timeline. Secret.',
  }),
  isolationPolicy: input.kubeName('isolation-policy', {
    default: 'pqc-ops-incident-isolation',
    description:
      'security-incident: name of the deny-all (ingress and egress) NetworkPolicy that isolates the application pods.',
  }),
  evidenceDir: input.path('evidence-dir', {
    description:
      "security-incident: directory for the evidence archive (created if missing). Empty: 'evidence' under the run's output directory ($RUNNER_TEMP/pqc-ops).",
  }),
  ageRecipients: input.list('age-recipients', {
    description:
      'security-incident: age recipients of the evidence archive, one per line (age1... or age1pq1..., never both). Empty: the archive is not encrypted (then previous secret values are refused).',
  }),
  secretName: input.kubeName('secret-name', {
    default: 'pqc-audit-secrets',
    description: 'security-incident: the Secret whose credentials are rotated.',
  }),
  keys: input.listOf('keys', SECRET_KEY, 'Secret keys', {
    description:
      'security-incident: the keys of secret-name to rotate to new random values (32 random bytes, base64url). Keys also given in secret-values take those values instead.',
  }),
  secretValues: input.parsed(
    'secret-values',
    'KEY=value lines (an env file)',
    parseEnvLines,
    undefined as Record<string, string> | undefined,
    {
      secret: true,
      description:
        'security-incident: new values for some keys, as KEY=value lines (an env file), for credentials changed elsewhere first (a database password). Secret: never printed.',
    },
  ),
  keepPreviousValues: input.boolean('keep-previous-values', {
    default: 'false',
    description:
      'security-incident: keep the previous values of the rotated keys inside the evidence archive (needs age-recipients; refused otherwise).',
  }),
  debugEnv: input.listOf('debug-env', ENV_NAME, 'NAME=value settings', {
    default: 'LOG_LEVEL=DEBUG,AUDIT_MODE=enabled',
    description:
      'security-incident: environment set on the application container for enhanced monitoring.',
  }),
  container: input.optionalKubeName('container', {
    description:
      "security-incident: the container debug-env is set on. Empty: the pod template's first container.",
  }),
  ...healthRoundInputs,
  ...corruptionInputs,
  lockName: input.kubeName('lock-name', {
    default: 'pqc-ops-incident',
    description:
      'Lease (in the namespace) held while applying, so two runs never change the application at once.',
  }),
  ...changeControlInputs,
};

/** The incident procedure's validated options. */
export type IncidentOptions = OptionsOf<typeof incidentInputs>;

/** KEY=value lines (blank lines and # comments skipped); values as written. */
function parseEnvLines(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of raw.split(/\r?\n/)) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const i = line.indexOf('=');
    const key = i > 0 ? line.slice(0, i).trim() : '';
    // The message names the line's key at most, never a value.
    if (!SECRET_KEY.test(key))
      throw new Error('a line is not KEY=value with a Secret key name');
    if (key in out) throw new Error(`key ${key} is given twice`);
    out[key] = line.slice(i + 1);
  }
  if (Object.keys(out).length === 0) throw new Error('no KEY=value line');
  return out;
}
