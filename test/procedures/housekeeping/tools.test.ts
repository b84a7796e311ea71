// The tools are checked before anything is read or changed: a container
// without gzip, or with BusyBox's find, is named with what is missing, and
// nothing in it is touched.
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { housekeeping } from '../../../src/procedures/housekeeping/procedure.js';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { container, namespace, pod } from '../../helpers/kube-objects.js';
import { runProcedure } from '../../helpers/procedure.js';

const ns = 'pqc-audit';
let sim: KubeSim;
let runnerTemp: string;

beforeAll(async () => {
  runnerTemp = mkdtempSync(join(tmpdir(), 'pqc-ops-hk-tools-'));
  sim = await startKubeSim({
    objects: [
      namespace(ns),
      ...['no-gzip', 'busybox'].map((name) =>
        pod({
          name,
          namespace: ns,
          labels: { app: 'pqc-audit' },
          containers: [container('app', 'pqc-audit:1')],
        }),
      ),
    ],
  });
  // What containerd answers for a program the image does not have.
  sim.addExecHook({
    pod: 'no-gzip',
    command: 'gzip',
    run: () => {
      throw new Error(
        'error executing command in container: failed to exec in container: failed to start exec: OCI runtime exec failed: exec failed: unable to start container process: exec: "gzip": executable file not found in $PATH: unknown',
      );
    },
  });
  // BusyBox find: no --version, no -printf.
  sim.addExecHook({
    pod: 'busybox',
    command: 'find',
    run: ({ stderr }) => {
      stderr(
        "find: unrecognized option '--version'\nBusyBox v1.36.1 (2024-06-10 07:11:47 UTC) multi-call binary.\n",
      );
      return 1;
    },
  });
  await sim.settle();
  for (const p of ['no-gzip', 'busybox']) {
    const f = join(sim.podRoot(ns, p), 'var/log/pqc-audit/old.log');
    mkdirSync(join(f, '..'), { recursive: true });
    writeFileSync(f, 'x\n');
    const t = new Date(Date.now() - 40 * 86_400_000);
    utimesSync(f, t, t);
  }
});
afterAll(async () => sim?.close());

describe('housekeeping checks the tools first', () => {
  it.each([
    [
      'no-gzip',
      /^housekeeping: pod no-gzip: gzip is missing \(.*executable file not found in \$PATH/,
    ],
    [
      'busybox',
      /^housekeeping: pod busybox: find is not GNU findutils \(exit 1: find: unrecognized option '--version'\).*BusyBox find does not/,
    ],
  ])('%s: says which tool is missing, touches nothing', async (name, why) => {
    const r = await runProcedure(
      housekeeping,
      {
        kubeconfig: sim.kubeconfigPath,
        pod: name,
        vacuum: 'false',
        mode: 'auto',
      },
      { ...process.env, RUNNER_TEMP: runnerTemp },
    );
    expect(r.failure).toMatch(why);
    expect(r.result.changes).toEqual([]);
    expect(
      readdirSync(join(sim.podRoot(ns, name), 'var/log/pqc-audit')),
    ).toEqual(['old.log']);
  });
});
