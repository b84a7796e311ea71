/** Helpers for kube-sim's own tests (and reusable by others). */
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeSim } from './index.js';

export const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;

/** A KubeConfig for the sim (optionally another kubeconfig YAML). */
export function kubeConfig(
  sim: KubeSim,
  yaml = sim.kubeconfigYaml,
): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(yaml);
  return kc;
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run kubectl against the sim, asynchronously (the sim lives in this process). */
export function kubectl(
  kubeconfigPath: string,
  args: string[],
  opts: { input?: string; timeoutMs?: number } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      '/usr/bin/kubectl',
      ['--kubeconfig', kubeconfigPath, ...args],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
    p.stdin.end(opts.input ?? '');
  });
}

/* eslint-disable @typescript-eslint/no-explicit-any -- Status bodies are plain JSON */
/** The Status of a thrown ApiException. */
export async function status(
  p: Promise<unknown>,
): Promise<{ code: number; body: any }> {
  try {
    await p;
  } catch (e: any) {
    return { code: e.code, body: e.body ? JSON.parse(e.body) : undefined };
  }
  throw new Error('expected a failure');
}

export const collect = () => {
  let text = '';
  const w = new Writable({
    write(c: Buffer, _e, cb) {
      text += c.toString();
      cb();
    },
  });
  return { w, text: () => text };
};
