import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpEndpoint, type HttpEndpoint } from './http-endpoint.js';

describe('startHttpEndpoint', () => {
  let ep: HttpEndpoint;

  beforeAll(async () => {
    ep = await startHttpEndpoint();
  });

  afterAll(async () => {
    await ep?.close();
  });

  it('plays a sequence per path and repeats the last answer', async () => {
    ep.respond('/health', [
      { status: 503, body: 'starting' },
      { status: 503, body: 'starting' },
      { status: 200, body: { status: 'ok' }, headers: { 'x-app': 'demo' } },
    ]);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${ep.url}/health?probe=${i}`);
      statuses.push(res.status);
      if (res.ok) {
        expect(res.headers.get('content-type')).toBe('application/json');
        expect(res.headers.get('x-app')).toBe('demo');
        expect(await res.json()).toEqual({ status: 'ok' });
      } else expect(await res.text()).toBe('starting');
    }
    expect(statuses).toEqual([503, 503, 200, 200]);
    expect(ep.requestsTo('/health').map((r) => r.path)).toEqual([
      '/health?probe=0',
      '/health?probe=1',
      '/health?probe=2',
      '/health?probe=3',
    ]);
  });

  it('records method, headers and body, and answers 404 when unscripted', async () => {
    const res = await fetch(`${ep.url}/nowhere`, {
      method: 'POST',
      headers: { 'x-test': 'yes' },
      body: 'hello',
    });
    expect(res.status).toBe(404);
    const last = ep.requests.at(-1)!;
    expect(last).toMatchObject({
      method: 'POST',
      path: '/nowhere',
      body: 'hello',
    });
    expect(last.headers['x-test']).toBe('yes');
    expect(last.time).toBeLessThanOrEqual(Date.now());
  });

  it('delays answers so clients can time out', async () => {
    ep.respond('/slow', { status: 200, body: 'late', delayMs: 1_000 });
    const started = Date.now();
    await expect(
      fetch(`${ep.url}/slow`, { signal: AbortSignal.timeout(200) }),
    ).rejects.toThrow(/timeout|abort/i);
    expect(Date.now() - started).toBeLessThan(900);
    ep.respond('/slow', { status: 200, body: 'late', delayMs: 100 });
    expect(await (await fetch(`${ep.url}/slow`)).text()).toBe('late');
  });

  it('closes promptly with a delayed answer still pending', async () => {
    const other = await startHttpEndpoint();
    other.respond('/hang', { status: 200, delayMs: 60_000 });
    const pending = fetch(`${other.url}/hang`).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await pending).toBeInstanceOf(Error);
  });
});
