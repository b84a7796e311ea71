import { kubeInputs } from '../../inputs/groups.js';
import { pushgatewayInput } from '../../inputs/groups-archive.js';
import { parseList } from '../../inputs/parsers.js';
import { input, type OptionsOf } from '../../inputs/spec.js';
import { SEVERITIES } from './controls.js';
import { parsePermission, type Permission } from './rbac.js';

/** Inputs of compliance (names and defaults are a contract). */
export const complianceInputs = {
  ...kubeInputs,
  namespace: input.kubeName('namespace', {
    default: 'pqc-audit',
    description:
      'Namespace whose workloads (Deployments, StatefulSets, DaemonSets, CronJobs, Jobs, Pods) and NetworkPolicies are checked.',
  }),
  selector: input.selector('selector', {
    default: 'app=pqc-audit',
    description:
      'Label selector of the application pods: default-deny coverage, the check command, the logs.',
  }),
  serviceAccount: input.kubeName('service-account', {
    default: 'pqc-audit',
    description:
      "The application's ServiceAccount (in namespace), whose permissions are checked with SubjectAccessReviews.",
  }),
  forbiddenVerbs: input.parsed<Permission[]>(
    'forbidden-verbs',
    'permissions as verb resource[.group][/subresource] [cluster-wide], one per line or comma-separated, or none',
    (s) => (s.trim() === 'none' ? [] : parseList(s).map(parsePermission)),
    [],
    {
      default:
        'list secrets cluster-wide, get secrets cluster-wide, create pods/exec, get pods/exec, * *',
      description:
        'What the service account must not be allowed to do: each is one SubjectAccessReview (in namespace unless cluster-wide); `* *` is any verb on anything. none: no RBAC check.',
    },
  ),
  complianceCommand: input.commandLine('compliance-command', {
    default: 'python -m pqc_migration_audit.compliance_check',
    none: true,
    description:
      "The application's own compliance check, run in one ready pod (exec, no shell); exit 0 passes. none: skipped.",
  }),
  complianceContainer: input.optionalKubeName('compliance-container', {
    description:
      'Container to run compliance-command in. Empty: the first container of the pod.',
  }),
  complianceTimeout: input.duration('compliance-timeout', {
    default: '5m',
    timer: true,
    description:
      'Time limit of compliance-command, and of the compliance-report-url request.',
  }),
  complianceReportUrl: input.url('compliance-report-url', {
    description:
      'The application\'s /admin/compliance-report: POSTed {"framework":"nist","output":"detailed"}; the answer is kept as an artifact. Empty: skipped.',
  }),
  complianceReportToken: input.string('compliance-report-token', {
    secret: true,
    description:
      'Bearer token for compliance-report-url, if it needs one. Secret.',
  }),
  logLines: input.integer('log-lines', {
    default: '100',
    min: 0,
    max: 100_000,
    description:
      'How many of the last COMPLIANCE lines of the application logs to keep (0: do not read the logs).',
  }),
  failBelow: input.integer('fail-below', {
    default: '80',
    min: 0,
    max: 100,
    description:
      'Fail the step when the score (0-100, checks passed weighted by severity) is below this.',
  }),
  failOn: input.enumeration('fail-on', [...SEVERITIES, 'never'] as const, {
    default: 'high',
    description:
      'Fail the step on any finding of this severity or worse (critical, high, medium, low), or never.',
  }),
  ...pushgatewayInput,
};

/** The compliance procedure's validated options. */
export type ComplianceOptions = OptionsOf<typeof complianceInputs>;
