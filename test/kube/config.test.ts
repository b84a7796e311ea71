import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import { Kube } from '../../src/kube/client.js';
import {
  isInlineKubeconfig,
  KUBECONFIG_MAX_BYTES,
} from '../../src/kube/config.js';
import { kubeInputs } from '../../src/inputs/groups.js';
import { readInputs } from '../../src/inputs/read.js';
import { startKubeSim, type KubeSim } from '../kube-sim/index.js';
import { namespace } from '../helpers/kube-objects.js';

let sim: KubeSim;
beforeAll(async () => {
  sim = await startKubeSim({
    objects: [namespace('x')],
  });
});
afterAll(async () => sim?.close());

describe('kubeconfig sources', () => {
  it('inline YAML works, and its token is handed over for masking', async () => {
    const masked: string[] = [];
    const kube = await Kube.connect({
      kubeconfig: sim.kubeconfigYaml,
      env: {},
      maskSecret: (s) => masked.push(s),
    });
    const ns = await kube.call('read namespace x', () =>
      kube.core.readNamespace({ name: 'x' }),
    );
    expect(ns.metadata?.name).toBe('x');
    expect(masked).toContain(sim.token);
  });

  it('falls back to KUBECONFIG, and selects a context', async () => {
    const kube = await Kube.connect({
      env: { KUBECONFIG: sim.kubeconfigPath },
      context: 'sim',
    });
    expect(kube.server).toBe(sim.httpsUrl);
    await expect(
      Kube.connect({
        env: { KUBECONFIG: sim.kubeconfigPath },
        context: 'prod',
      }),
    ).rejects.toThrow(
      /input 'context': no context named "prod" in the kubeconfig \(contexts: sim\)/,
    );
  });

  it('with nothing at all, says what to set', async () => {
    const e = await Kube.connect({ env: {} }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConfigurationError);
    expect((e as Error).message).toMatch(
      /no cluster credentials: set input 'kubeconfig'/,
    );
  });

  it('garbage YAML is a configuration error, not a crash', async () => {
    await expect(
      Kube.connect({ kubeconfig: 'apiVersion: v1\nclusters: [[[', env: {} }),
    ).rejects.toThrow(ConfigurationError);
  });
});

/** The sim's kubeconfig as single-line JSON, as some secret stores hold it. */
function jsonKubeconfig(): string {
  return JSON.stringify(parseYaml(sim.kubeconfigYaml));
}

async function connectError(
  kubeconfig: string,
  env: NodeJS.ProcessEnv = {},
): Promise<Error> {
  const e = await Kube.connect({ kubeconfig, env }).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(ConfigurationError);
  return e as Error;
}

describe('kubeconfig inline or path (security review)', () => {
  it('single-line JSON kubeconfig is inline: it connects and is masked as a whole', async () => {
    const json = jsonKubeconfig();
    expect(json).not.toContain('\n');
    expect(isInlineKubeconfig(json)).toBe(true);
    const masked: string[] = [];
    const o = readInputs(
      kubeInputs,
      (n) => (n === 'kubeconfig' ? json : ''),
      (s) => masked.push(s),
    );
    expect(masked).toEqual([json]);
    const tokens: string[] = [];
    const kube = await Kube.connect({
      kubeconfig: o.kubeconfig,
      env: {},
      maskSecret: (s) => tokens.push(s),
    });
    expect(kube.server).toBe(sim.httpsUrl);
    expect(tokens).toContain(sim.token);
  });

  it('single-line JSON kubeconfig that is invalid gives an error without its token', async () => {
    const token = `tok-${Date.now()}-secret`;
    const bad = JSON.stringify({
      apiVersion: 'v1',
      clusters: [{ name: 'c', cluster: {} }],
      users: [{ name: 'u', user: { token } }],
    });
    expect(isInlineKubeconfig(bad)).toBe(true);
    const e = await connectError(bad);
    expect(e.message).toMatch(/clusters\[0\]\.cluster\.server is missing/);
    expect(e.message).not.toContain(token);
    expect(e.message).not.toContain('apiVersion');
  });

  it('inline kubeconfig with a YAML syntax error gives an error without its text', async () => {
    const token = `tok-${Date.now()}-yaml`;
    for (const text of [
      `{"users": [{"name": "u", "user": {"token": "${token}"}}`,
      `apiVersion: v1\nusers:\n- name: u\n  user: {token: ${token}\n`,
      `users: [{token: "${token}\u0007"}]`,
    ]) {
      expect(isInlineKubeconfig(text)).toBe(true);
      const e = await connectError(text);
      expect(e.message).toMatch(/nor inline kubeconfig YAML or JSON/);
      expect(e.message).not.toContain(token);
    }
  });

  it('a path that does not exist is taken as inline (masked), and the error does not echo it', async () => {
    const missing = '/nonexistent/kube/config-5f3a';
    expect(isInlineKubeconfig(missing)).toBe(true);
    const e = await connectError(missing);
    expect(e.message).toMatch(
      /neither the path of a readable regular file nor inline kubeconfig/,
    );
    expect(e.message).not.toContain(missing);
  });

  it('a readable regular file is a path, not inline, and loads', async () => {
    expect(isInlineKubeconfig(sim.kubeconfigPath)).toBe(false);
    expect(isInlineKubeconfig(` ${sim.kubeconfigPath}\n`)).toBe(false);
    const kube = await Kube.connect({
      kubeconfig: sim.kubeconfigPath,
      env: {},
    });
    expect(kube.server).toBe(sim.httpsUrl);
  });

  it('a directory, a device or a FIFO is not a kubeconfig path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kc-'));
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    for (const p of [dir, '/dev/zero', fifo]) {
      expect(isInlineKubeconfig(p)).toBe(true);
      const e = await connectError(p);
      expect(e.message).toMatch(
        /names a path that is not a readable regular file/,
      );
    }
  });

  it('a kubeconfig file over 1 MiB is refused before it is read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kc-'));
    const big = join(dir, 'config');
    writeFileSync(
      big,
      `${sim.kubeconfigYaml}\n# ${'x'.repeat(KUBECONFIG_MAX_BYTES)}\n`,
    );
    expect(isInlineKubeconfig(big)).toBe(false);
    const e = await connectError(big);
    expect(e.message).toBe(
      `input 'kubeconfig': the kubeconfig file ${big} is larger than the limit of 1 MiB`,
    );
    const e2 = await connectError('', { KUBECONFIG: big });
    expect(e2.message).toMatch(
      /from KUBECONFIG\) is larger than the limit of 1 MiB/,
    );
  });

  it('KUBECONFIG naming a device is refused, not read forever', async () => {
    const e = await connectError('', { KUBECONFIG: '/dev/zero' });
    expect(e.message).toMatch(
      /\/dev\/zero \(from KUBECONFIG\) is a device, not a regular file/,
    );
  });
});
