import { trackChild } from '../process/children.js';
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

/** Variable names that look like credentials: never sent through exec. */
const SECRET_NAME =
  /PASSW(OR)?D|SECRET|TOKEN|CREDENTIAL|PRIVATE|^PGPASSFILE$|API_?KEY/i;

/**
 * The argv that runs `argv` with `env` added to the container's environment.
 * The exec API has no env field, so the command is wrapped in coreutils/
 * busybox `env`: `['env', '--', 'K=V', ..., ...argv]`. Each assignment is one
 * argv item (no shell), so values may hold spaces, quotes, `$`, `;` or
 * newlines. (`--` goes first: after the first K=V, `env` would take `--` for
 * the command.) Without env, argv is sent as it is.
 *
 * Trade-off: exec sends argv as `command=` parameters in the URL of the
 * upgrade request, so every value ends up wherever URLs are logged (API
 * server audit logs, proxies, kube-sim's journal) and is visible in the
 * pod's process list. That is fine for settings (PGCONNECT_TIMEOUT,
 * PGOPTIONS) but not for secrets, so names that look like credentials
 * (PGPASSWORD, *_TOKEN, *SECRET*, ...) are refused: a command in a pod gets
 * its credentials from the pod's own environment or files (podEndpoint relies
 * on the postgres container's env and local socket).
 */
export function withEnv(
  argv: string[],
  env: Record<string, string> | undefined,
  where = 'a pod',
): string[] {
  const entries = Object.entries(env ?? {});
  if (entries.length === 0) return argv;
  for (const [k] of entries) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
      throw new Error(
        `exec in ${where}: invalid environment variable name ${JSON.stringify(k)}`,
      );
    if (SECRET_NAME.test(k))
      throw new Error(
        `exec in ${where}: refusing to pass ${k} through exec, where it would travel in the request URL; the command must take it from the pod's own environment`,
      );
  }
  if (argv.length === 0 || argv[0]?.includes('='))
    throw new Error(
      `exec in ${where}: cannot run ${JSON.stringify(argv[0] ?? '')} through env (a command name with "=" would be read as a variable)`,
    );
  return ['env', '--', ...entries.map(([k, v]) => `${k}=${v}`), ...argv];
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

  /**
   * Runs argv in the container, on top of the container's own environment
   * plus `opts.env` (see withEnv: secrets are refused).
   */
  async start(
    argv: string[],
    opts: { env?: Record<string, string> } = {},
  ): Promise<RunningCommand> {
    const command = withEnv(argv, opts.env, this.where);
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
        command,
        stdout,
        stderr,
        stdinPipe,
        false,
        (s) => {
          status = s;
        },
      );
    } catch (e) {
      throw toKubeError(`exec in ${this.where}`, e, this.kube.server);
    }
    // Tracked like a local child, so a cancel closes the exec as well.
    const untrack = trackChild(() => ws.close());
    const done = new Promise<number>((resolve, reject) => {
      ws.on('close', () => {
        untrack();
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
        reject(toKubeError(`exec in ${this.where}`, e, this.kube.server)),
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
