import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { FIXTURES, kubectl } from './test-helpers.js';

it('npm run kube-sim prints KUBECONFIG first, serves, and cleans up on SIGTERM', async () => {
  const root = path.resolve(FIXTURES, '../../..');
  const node = path.join(root, 'node_modules/.bin/node');
  const p = spawn(
    node,
    ['--import', 'tsx', 'test/kube-sim/main.ts', FIXTURES],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const first = await new Promise<string>((resolve, reject) => {
      let buf = '';
      p.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        if (buf.includes('\n')) resolve(buf.split('\n')[0]);
      });
      p.on('exit', () => reject(new Error('exited early')));
    });
    expect(first).toMatch(/^KUBECONFIG=\/.+\.yaml$/);
    const kc = first.slice('KUBECONFIG='.length);
    const r = await kubectl(kc, ['get', 'ns', 'pqc-audit', '-o', 'name']);
    expect(r.stdout.trim()).toBe('namespace/pqc-audit');
    const exited = new Promise<number | null>((resolve) =>
      p.on('exit', resolve),
    );
    p.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(fs.existsSync(path.dirname(kc))).toBe(false);
  } finally {
    if (p.exitCode === null) p.kill('SIGKILL');
  }
});
