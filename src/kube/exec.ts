import type { V1Status } from '@kubernetes/client-node';
import type { CommandRunner, RunningCommand } from '../process/runner.js';
import { quietPassThrough } from '../process/runner.js';
import type { Kube } from './client.js';
import { KubeError, toKubeError } from './errors.js';

/**
 * The exit code from an exec status (v5 channel 3): 0 on Success, the
 * `ExitCode` cause on NonZeroExitCode; any other failure is an error.
 */
export function exitCodeFromStatus(s: V1Status): number {
  if (s.status === 'Success') return 0;
  if (s.reason === 'NonZeroExitCode') {
    const cause = s.details?.causes?.find((c) => c.reason === 'ExitCode');
    const n = Number(cause?.message);
    if (Number.isInteger(n)) return n;
  }
  throw new KubeError(
    `exec failed: ${s.message ?? 'unknown error'}`,
    s.code,
    s.reason,
  );
}

/** Runs commands in one container of one pod through the exec API. */
export class PodRunner implements CommandRunner {
  readonly where: string;

  constructor(
    private readonly kube: Kube,
    readonly namespace: string,
    readonly pod: string,
    readonly container: string,
  ) {
    this.where = `pod ${namespace}/${pod} (container ${container})`;
  }

  /** Environment variables cannot travel over exec; the pod's own env applies. */
  async start(argv: string[]): Promise<RunningCommand> {
    const stdout = quietPassThrough();
    const stderr = quietPassThrough();
    const stdinPipe = quietPassThrough();
    const exec = new this.kube.lib.Exec(this.kube.config);
    let status: V1Status | undefined;
    let ws: Awaited<ReturnType<typeof exec.exec>>;
    try {
      ws = await exec.exec(
        this.namespace,
        this.pod,
        this.container,
        argv,
        stdout,
        stderr,
        stdinPipe,
        false,
        (s) => {
          status = s;
        },
      );
    } catch (e) {
      throw toKubeError(`exec in ${this.where}`, e);
    }
    const done = new Promise<number>((resolve, reject) => {
      ws.on('close', () => {
        stdout.end();
        stderr.end();
        if (!status) {
          reject(
            new KubeError(
              `exec in ${this.where}: the connection closed before the command's exit status arrived`,
              undefined,
              undefined,
            ),
          );
          return;
        }
        try {
          resolve(exitCodeFromStatus(status));
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      });
      ws.on('error', (e: Error) =>
        reject(toKubeError(`exec in ${this.where}`, e)),
      );
    });
    done.catch(() => undefined);
    return {
      stdin: stdinPipe,
      stdout,
      stderr,
      done,
      kill: () => ws.close(),
    };
  }
}
