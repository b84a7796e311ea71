import { connectGitHub, repositoryOf } from '../../github/client.js';
import {
  githubErrorMessage,
  openIssue,
  runApprovals,
  upsertMarkedComment,
  type Approval,
} from '../../github/issues.js';
import type { RateLimitOptions } from '../../github/rate-limit.js';
import { errorMessage } from '../../errors.js';
import type { ProcedureContext } from '../../procedure.js';
import { COMMENT_LIMIT_CHARS } from '../../report/markdown.js';
import type { Check } from '../../report/step-result.js';
import { renderLog, type LogModel } from './render.js';
import type { Destination } from './target.js';
import { codePoints } from './text.js';

/** Room kept below GitHub's limit, for how it may count a few characters. */
const MARGIN = 64;

function retryOptions(ctx: ProcedureContext, retries = 3): RateLimitOptions {
  return {
    sleep: ctx.sleep,
    now: () => ctx.now().getTime(),
    retries,
    onWait: (ms, why) =>
      ctx.log.warning(`${why}: retrying in ${Math.ceil(ms / 1000)} s`),
  };
}

/**
 * Who approved this run's deployments (the apply jobs' environments), when
 * the API tells; nothing, silently, when it cannot (no token, no run id, no
 * `actions: read`, GitHub down).
 */
export async function approvalsOf(
  token: string,
  ctx: ProcedureContext,
): Promise<Approval[]> {
  const repo = repositoryOf(ctx.env);
  const runId = Number(ctx.env['GITHUB_RUN_ID']);
  if (!token || !repo || !Number.isInteger(runId) || runId <= 0) return [];
  try {
    const gh = await connectGitHub(token, ctx.env);
    return await runApprovals(gh, repo, runId, retryOptions(ctx, 1));
  } catch (e) {
    ctx.log.debug(`run approvals not read: ${errorMessage(e)}`);
    return [];
  }
}

/** The new issue's title. */
export function issueTitle(date: string, cadence: string): string {
  return `Maintenance Log - ${date} (${cadence})`;
}

/**
 * Puts the log where `dest` says: the marked comment created or updated, or
 * a new issue. Returns the record's check, and the one line the step fails
 * with when GitHub could not be reached or refused.
 */
export async function publish(
  dest: Exclude<Destination, { kind: 'none' }>,
  model: LogModel,
  marker: string,
  pointer: string,
  labels: string[],
  ctx: ProcedureContext,
): Promise<{ check: Check; failure?: string }> {
  const what =
    dest.kind === 'comment'
      ? `cannot write the log comment on ${dest.repo.owner}/${dest.repo.repo}#${dest.issue}`
      : `cannot open the log issue in ${dest.repo.owner}/${dest.repo.repo}`;
  const retry = retryOptions(ctx);
  try {
    const gh = await connectGitHub(dest.token, ctx.env);
    if (dest.kind === 'comment') {
      const head = `${marker}\n`;
      const body =
        head +
        renderLog(model, {
          limit: COMMENT_LIMIT_CHARS - codePoints(head) - MARGIN,
          measure: codePoints,
          pointer,
        });
      const c = await upsertMarkedComment(
        gh,
        dest.repo,
        dest.issue,
        marker,
        body,
        retry,
      );
      ctx.log.info(`${c.action} the log comment ${c.url}`);
      return {
        check: {
          name: 'comment',
          status: 'ok',
          observed: `${c.action} ${c.url}`,
        },
      };
    }
    const body = renderLog(model, {
      limit: COMMENT_LIMIT_CHARS - MARGIN,
      measure: codePoints,
      pointer,
    });
    const issue = await openIssue(
      gh,
      dest.repo,
      { title: issueTitle(model.date, model.cadence), body, labels },
      retry,
    );
    ctx.log.info(`opened the log issue ${issue.url}`);
    return {
      check: {
        name: 'issue',
        status: 'ok',
        observed: `opened #${issue.number} ${issue.url}`,
      },
    };
  } catch (e) {
    const line = githubErrorMessage(what, e);
    return {
      check: {
        name: dest.kind === 'comment' ? 'comment' : 'issue',
        status: 'failed',
        observed: line,
      },
      failure: `maintenance-log: ${line} (the log is in the job summary and the log-file)`,
    };
  }
}
