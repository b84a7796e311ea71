/** Request journal and fault injection. */
import type { Fault, JournalEntry } from './types.js';

export class Journal {
  entries: JournalEntry[] = [];

  clear(): void {
    this.entries.length = 0;
  }

  /** Mutating requests, without authorization reviews (which are reads). */
  writes(): JournalEntry[] {
    return this.entries.filter(
      (e) =>
        ['POST', 'PUT', 'PATCH', 'DELETE'].includes(e.method) &&
        !e.path.startsWith('/apis/authorization.k8s.io/'),
    );
  }
}

interface ActiveFault {
  f: Fault;
  left: number;
}

export class Faults {
  private list: ActiveFault[] = [];

  add(f: Fault): void {
    this.list.push({ f, left: f.times ?? 1 });
  }

  clear(): void {
    this.list = [];
  }

  /** Take the first matching fault (and count it down). */
  take(method: string, path: string): Fault | undefined {
    const hit = this.list.find(
      ({ f, left }) =>
        left > 0 &&
        (!f.method || f.method.toUpperCase() === method) &&
        (typeof f.path === 'string' ? f.path === path : f.path.test(path)),
    );
    if (!hit) return undefined;
    hit.left--;
    if (hit.left <= 0) this.list = this.list.filter((x) => x !== hit);
    return hit.f;
  }
}

/** Default Status reason and message for an injected status code. */
export function faultStatus(code: number): { reason: string; message: string } {
  switch (code) {
    case 429:
      return {
        reason: 'TooManyRequests',
        message: 'Too many requests, please try again later.',
      };
    case 409:
      return {
        reason: 'Conflict',
        message:
          'Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again',
      };
    case 503:
      return {
        reason: 'ServiceUnavailable',
        message: 'the server is currently unable to handle the request',
      };
    case 504:
      return {
        reason: 'Timeout',
        message:
          'the server was unable to return a response in the time allotted, but may still be processing the request',
      };
    case 401:
      return { reason: 'Unauthorized', message: 'Unauthorized' };
    case 403:
      return { reason: 'Forbidden', message: 'forbidden' };
    case 404:
      return {
        reason: 'NotFound',
        message: 'the server could not find the requested resource',
      };
    default:
      return {
        reason: 'InternalError',
        message: 'Internal error occurred: injected fault',
      };
  }
}
