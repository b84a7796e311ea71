import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type KubeSim, startKubeSim } from './index.js';

let sim: KubeSim;
let pod: string;
beforeAll(async () => {
  sim = await startKubeSim({
    objects: [
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'box', namespace: 'default' },
        spec: {
          containers: [
            { name: 'a', image: 'debian:12' },
            { name: 'b', image: 'debian:12' },
          ],
        },
      },
    ],
  });
  await sim.settle();
  pod = 'box';
});
afterAll(async () => {
  await sim?.close();
});

interface Frames {
  out: Buffer;
  err: Buffer;
  status?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  protocol: string;
  closeCode?: number;
}

function open(
  cmd: string[],
  opts: {
    protocols?: string[];
    container?: string;
    stdin?: boolean;
    onOpen?: (ws: WebSocket) => void;
  } = {},
): Promise<Frames> {
  const q = new URLSearchParams({
    stdout: 'true',
    stderr: 'true',
    stdin: String(!!opts.stdin),
    container: opts.container ?? 'a',
  });
  for (const c of cmd) q.append('command', c);
  const ws = new WebSocket(
    `${sim.url.replace('http', 'ws')}/api/v1/namespaces/default/pods/${pod}/exec?${q.toString()}`,
    opts.protocols ?? ['v5.channel.k8s.io', 'v4.channel.k8s.io'],
    {
      headers: { authorization: `Bearer ${sim.token}` },
    },
  );
  const f: Frames = {
    out: Buffer.alloc(0),
    err: Buffer.alloc(0),
    protocol: '',
  };
  return new Promise((resolve, reject) => {
    ws.on('open', () => {
      f.protocol = ws.protocol;
      opts.onOpen?.(ws);
    });
    ws.on('message', (d: Buffer) => {
      if (d[0] === 1) f.out = Buffer.concat([f.out, d.subarray(1)]);
      if (d[0] === 2) f.err = Buffer.concat([f.err, d.subarray(1)]);
      if (d[0] === 3) f.status = JSON.parse(d.subarray(1).toString());
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () =>
        reject(Object.assign(new Error(body), { code: res.statusCode, body })),
      );
    });
    ws.on('error', reject);
    ws.on('close', (code) => {
      f.closeCode = code;
      resolve(f);
    });
  });
}

describe('exec protocol', () => {
  it('negotiates v5 and reports success and exit codes on channel 3', async () => {
    const ok = await open(['echo', 'hi']);
    expect(ok.protocol).toBe('v5.channel.k8s.io');
    expect(ok.out.toString()).toBe('hi\n');
    expect(ok.status).toEqual({ metadata: {}, status: 'Success' });
    expect(ok.closeCode).toBe(1000);
    const bad = await open(['sh', '-c', 'echo e >&2; exit 7']);
    expect(bad.err.toString()).toBe('e\n');
    expect(bad.status).toEqual({
      metadata: {},
      status: 'Failure',
      message:
        'command terminated with non-zero exit code: command terminated with exit code 7',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '7' }] },
    });
  });

  it('a hook that throws (even synchronously) ends in an InternalError status, as a runtime that cannot start the program', async () => {
    sim.addExecHook({
      pod: 'box',
      command: 'no-such-program',
      run: () => {
        throw new Error(
          'exec: "no-such-program": executable file not found in $PATH',
        );
      },
    });
    const r = await open(['no-such-program', '--version']);
    expect(r.status).toMatchObject({
      status: 'Failure',
      reason: 'InternalError',
      code: 500,
      message:
        'Internal error occurred: Error: exec: "no-such-program": executable file not found in $PATH',
    });
    expect(r.closeCode).toBe(1000);
  });

  it('falls back to v4 only when v5 is not offered', async () => {
    const r = await open(['true'], {
      protocols: ['v4.channel.k8s.io', 'channel.k8s.io'],
    });
    expect(r.protocol).toBe('v4.channel.k8s.io');
  });

  it('answers 400/404 before upgrading', async () => {
    await expect(open(['true'], { container: 'zzz' })).rejects.toMatchObject({
      code: 400,
      body: expect.stringContaining('container zzz is not valid for pod box'),
    });
    await expect(open(['true'], { container: '' })).rejects.toMatchObject({
      code: 400,
      body: expect.stringContaining(
        'a container name must be specified for pod box, choose one of: [a b]',
      ),
    });
    pod = 'nope';
    try {
      await expect(open(['true'])).rejects.toMatchObject({
        code: 404,
        body: expect.stringContaining('pods \\"nope\\" not found'),
      });
    } finally {
      pod = 'box';
    }
  });

  it('streams large output with backpressure', async () => {
    const r = await open(['head', '-c', '8000000', '/dev/zero']);
    expect(r.out.length).toBe(8_000_000);
    expect(r.status.status).toBe('Success');
  });

  it('closes stdin on [255,0] and kills the process group when the client goes away', async () => {
    const echo = await open(['cat'], {
      stdin: true,
      onOpen: (ws) => {
        ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('abc')]));
        ws.send(Buffer.from([255, 0]));
      },
    });
    expect(echo.out.toString()).toBe('abc');
    let pid = 0;
    await open(['sh', '-c', 'echo $$; sleep 30'], {
      onOpen: (ws) =>
        ws.on('message', (d: Buffer) => {
          if (d[0] === 1 && d.length > 1) {
            pid = Number(d.subarray(1).toString().trim());
            ws.close();
          }
        }),
    });
    expect(pid).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
