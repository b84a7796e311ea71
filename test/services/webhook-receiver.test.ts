import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startWebhookReceiver,
  type WebhookReceiver,
} from './webhook-receiver.js';

describe('startWebhookReceiver', () => {
  let hook: WebhookReceiver;

  beforeAll(async () => {
    hook = await startWebhookReceiver();
  });

  afterAll(async () => {
    await hook?.close();
  });

  const post = (body: string, url = hook.url) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });

  it('has a Slack-like URL with a secret token', () => {
    expect(hook.url).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/hooks\/T000\/B000\/[A-Za-z0-9]{24}$/,
    );
    expect(hook.url.endsWith(hook.token)).toBe(true);
  });

  it('records JSON payloads and waits for them', async () => {
    const res = await post(JSON.stringify({ text: 'backup ok' }));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
    const [first] = await hook.waitFor(1, 2_000);
    expect(first).toMatchObject({
      body: { text: 'backup ok' },
      raw: '{"text":"backup ok"}',
    });
    expect(first.headers['content-type']).toBe('application/json');
  });

  it('fails on demand without recording', async () => {
    hook.failNext(500, 2);
    const before = hook.received.length;
    expect((await post('{"n":1}')).status).toBe(500);
    expect((await post('{"n":2}')).status).toBe(500);
    expect((await post('{"n":3}')).status).toBe(200);
    expect(hook.received.length).toBe(before + 1);
    expect(hook.received.at(-1)!.body).toEqual({ n: 3 });
  });

  it('answers 404 off the hook path and times out waitFor', async () => {
    const wrong = hook.url.replace(hook.token, 'x'.repeat(24));
    expect((await post('{}', wrong)).status).toBe(404);
    await expect(hook.waitFor(hook.received.length + 1, 100)).rejects.toThrow(
      /payloads after 100 ms/,
    );
  });
});
