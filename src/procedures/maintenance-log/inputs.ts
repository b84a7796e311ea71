import { pushgatewayInput } from '../../inputs/groups-archive.js';
import { parsePath } from '../../inputs/parsers.js';
import { input, type InputSpec } from '../../inputs/spec.js';

/**
 * The default of `github-token`: the runner evaluates it in action.yml to
 * the job's token; elsewhere (the CLI) it stands for `$GITHUB_TOKEN`.
 */
export const JOB_TOKEN = '${{ github.token }}';

/** Folders, one per line (a path may hold commas), without control characters. */
const folders: InputSpec<string[]> = {
  name: 'results-dir',
  description:
    "Folders holding StepResult files of earlier jobs (downloaded artifacts), one per line; read recursively. This job's own results ($RUNNER_TEMP/pqc-ops/results) are always read.",
  default: '',
  secret: false,
  form: 'folders, one per line',
  parse: (raw) =>
    raw
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .map(parsePath),
  empty: [],
};

/** Inputs of the maintenance-log procedure (names and defaults are a contract). */
export const maintenanceLogInputs = {
  resultsDir: folders,
  commentOn: input.enumeration(
    'comment-on',
    ['auto', 'pr', 'issue', 'new-issue', 'none'] as const,
    {
      default: 'auto',
      description:
        "Where the log goes besides the job summary. auto: the run's pull request when it has one, else nowhere. pr, issue: one comment per workflow and environment on issue-number (or the event's), updated in place on later runs. new-issue: a new issue with labels. none: only the summary and the file.",
    },
  ),
  issueNumber: input.integer('issue-number', {
    default: '',
    min: 1,
    max: 2_147_483_647,
    description:
      "The issue or pull request to comment on (comment-on pr or issue). Empty: the event's pull request or issue.",
  }),
  githubToken: input.string('github-token', {
    default: JOB_TOKEN,
    secret: true,
    description:
      'Token for the comment, the issue and the run approvals (needs issues: write or pull-requests: write). Default: the job token ($GITHUB_TOKEN for the CLI).',
  }),
  labels: input.listOf(
    'labels',
    /^[^,\n]{1,50}$/,
    'label names (at most 50 characters)',
    {
      default: 'maintenance',
      description: 'Labels of the issue comment-on new-issue opens.',
    },
  ),
  cadence: input.string('cadence', {
    description:
      "Cadence named in the new issue's title (daily, weekly, ...). Empty: found in the workflow name, else the workflow name, else manual.",
  }),
  environment: input.string('environment', {
    description:
      "Target environment of the maintenance (production, staging): one comment per workflow and environment, and the metrics' grouping key. Empty: default.",
  }),
  ...pushgatewayInput,
};
