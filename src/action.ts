import { ConfigurationError, errorMessage } from './errors.js';
import { executeProcedure } from './execute.js';
import { getProcedure } from './procedures/registry.js';
import type { Logger } from './procedure.js';
import { fitMarkdown, SUMMARY_LIMIT_BYTES } from './report/markdown.js';

/**
 * The whole GitHub Action for one procedure: inputs, run, outputs, the job
 * summary (written once) and the result file; `setFailed` on any throw.
 */
export async function runAction(name: string): Promise<void> {
  const core = await import('@actions/core');
  try {
    const p = getProcedure(name);
    const log: Logger = {
      info: (m) => core.info(m),
      warning: (m) => core.warning(m),
      error: (m) => core.error(m),
      debug: (m) => core.debug(m),
      group: (n, fn) => core.group(n, fn),
    };
    const ex = await executeProcedure(p, {
      getInput: (n) => core.getInput(n),
      mask: (s) => core.setSecret(s),
      log,
      env: process.env,
    });
    for (const [k, v] of Object.entries(ex.outputs)) core.setOutput(k, v);
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
      `${p.name}: ${ex.result.status}: ${ex.result.summary.replace(/\*\*/g, '')}`,
    );
    if (ex.failure) core.setFailed(ex.failure);
  } catch (e) {
    const prefix =
      e instanceof ConfigurationError ? 'invalid configuration: ' : '';
    core.setFailed(`${name}: ${prefix}${errorMessage(e)}`);
  }
}
