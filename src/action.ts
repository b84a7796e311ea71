import { errorMessage } from './errors.js';
import { executeProcedure, progressInterval } from './execute.js';
import { getProcedure } from './procedures/registry.js';
import type { Logger } from './procedure.js';
import { fitMarkdown, SUMMARY_LIMIT_BYTES } from './report/markdown.js';
import { oneLine } from './report/escape.js';
import { progressReporter } from './report/progress.js';
import { cancelOnSignals } from './process/cancel.js';

/**
 * The whole GitHub Action for one procedure: inputs, run, outputs, the job
 * summary (written once) and the result file, whatever happens; `setFailed`
 * with one line when it failed. SIGTERM/SIGINT (a cancelled workflow) abort
 * the run, which then cleans up, records and fails.
 */
export async function runAction(name: string): Promise<void> {
  const core = await import('@actions/core');
  const cancel = cancelOnSignals(1, (sig) =>
    core.warning(`${name}: ${sig} received: cancelling and cleaning up`),
  );
  try {
    const p = getProcedure(name);
    const log: Logger = {
      info: (m) => core.info(oneLine(m)),
      warning: (m) => core.warning(oneLine(m)),
      error: (m) => core.error(oneLine(m)),
      debug: (m) => core.debug(m),
      group: (n, fn) => core.group(oneLine(n), fn),
    };
    const progress = progressReporter({
      tty: false,
      write: (line) => core.info(oneLine(line)),
      intervalMs: progressInterval(process.env),
    });
    const ex = await executeProcedure(p, {
      getInput: (n) => core.getInput(n),
      mask: (s) => core.setSecret(s),
      log,
      env: process.env,
      signal: cancel.signal,
      progress: progress.progress,
    });
    const outputs: Record<string, string> = {
      status: ex.result.status,
      ...ex.outputs,
    };
    for (const [k, v] of Object.entries(outputs)) core.setOutput(k, v);
    core.setOutput('result', JSON.stringify(ex.result));
    core.setOutput('report', ex.reportPath);
    const summary = fitMarkdown(
      ex.markdown,
      SUMMARY_LIMIT_BYTES - 1024,
      `The full report is ${ex.reportPath}; the result is ${ex.resultPath}.`,
    );
    if (process.env['GITHUB_STEP_SUMMARY'])
      await core.summary.addRaw(summary, true).write();
    core.info(
      oneLine(
        `${p.name}: ${ex.result.status}: ${ex.result.summary.replace(/\*\*/g, '')}`,
      ),
    );
    if (ex.failure) core.setFailed(oneLine(ex.failure));
  } catch (e) {
    // Only when even the record could not be written (a full disk).
    core.setFailed(oneLine(`${name}: ${errorMessage(e)}`));
  } finally {
    cancel.dispose();
  }
}
