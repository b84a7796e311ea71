import { describe, expect, it } from 'vitest';
import { githubErrorMessage } from '../../../src/github/issues.js';
import {
  rateLimitWait,
  withRateLimit,
} from '../../../src/github/rate-limit.js';

/** An error shaped like Octokit's RequestError. */
function answer(
  status: number,
  message: string,
  headers: Record<string, string> = {},
): Error {
  return Object.assign(new Error(message), {
    status,
    response: { status, headers, data: { message } },
  });
}

const NOW = 1_700_000_000_000;

describe('GitHub rate limits', () => {
  it.each([
    ['retry-after', answer(403, 'x', { 'retry-after': '7' }), 7000],
    ['retry-after on 429', answer(429, 'x', { 'retry-after': '0' }), 0],
    [
      'primary limit until the reset',
      answer(403, 'API rate limit exceeded', {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(NOW / 1000 + 30),
      }),
      30_000,
    ],
    [
      'secondary limit without headers: a minute',
      answer(403, 'You have exceeded a secondary rate limit.'),
      60_000,
    ],
    [
      'a plain 403',
      answer(403, 'Resource not accessible by integration'),
      undefined,
    ],
    ['a 404', answer(404, 'Not Found', { 'retry-after': '1' }), undefined],
    [
      'no answer at all',
      Object.assign(new Error('connect ECONNREFUSED'), { status: 500 }),
      undefined,
    ],
  ])('%s', (_name, e, want) => {
    expect(rateLimitWait(e, NOW)).toBe(want);
  });

  it('retries a bounded number of times, and never waits longer than allowed', async () => {
    const waits: number[] = [];
    let calls = 0;
    const limited = () => {
      calls++;
      return Promise.reject(answer(429, 'slow down', { 'retry-after': '2' }));
    };
    const sleep = (ms: number) => {
      waits.push(ms);
      return Promise.resolve();
    };
    await expect(withRateLimit(limited, { sleep, retries: 2 })).rejects.toThrow(
      'slow down',
    );
    expect(calls).toBe(3);
    expect(waits).toEqual([2000, 2000]);

    calls = 0;
    await expect(
      withRateLimit(limited, { sleep, maxWaitMs: 1000 }),
    ).rejects.toThrow();
    expect(calls).toBe(1);

    let n = 0;
    const once = () =>
      ++n === 1
        ? Promise.reject(
            answer(403, 'secondary rate limit', { 'retry-after': '1' }),
          )
        : Promise.resolve('ok');
    expect(await withRateLimit(once, { sleep })).toBe('ok');
  });

  it('says in one line whether GitHub answered', () => {
    expect(
      githubErrorMessage(
        'cannot write',
        answer(422, 'Validation Failed - https://docs.github.com/rest'),
      ),
    ).toBe('cannot write: HTTP 422: Validation Failed');
    expect(
      githubErrorMessage(
        'cannot write',
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), {
          status: 500,
        }),
      ),
    ).toBe(
      'cannot write: cannot reach GitHub: connect ECONNREFUSED 127.0.0.1:9',
    );
  });
});
