/**
 * `npm run kube-sim -- [--https] [--rbac] <manifest file or dir>...`
 * Prints `KUBECONFIG=<path>` first, serves until SIGINT/SIGTERM.
 */
import { startKubeSim } from './index.js';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const manifests = args.filter((a) => !a.startsWith('--'));
  const sim = await startKubeSim({
    manifests,
    https: args.includes('--https'),
    rbac: args.includes('--rbac'),
  });
  process.stdout.write(`KUBECONFIG=${sim.kubeconfigPath}\n`);
  process.stdout.write(`# url=${sim.url} token=${sim.token}\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    sim.close().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(e);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
