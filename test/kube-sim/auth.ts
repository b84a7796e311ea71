/** Bearer-token authentication. */
import type { IncomingMessage } from 'node:http';
import type { SimCore } from './core.js';
import type { UserInfo } from './types.js';

/** Authenticate a request from its bearer token. */
export function authenticate(
  core: SimCore,
  req: IncomingMessage,
): UserInfo | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return m ? core.tokens.get(m[1]) : undefined;
}
