import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';

/** A request handler that may be async. */
export type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
) => void | Promise<void>;

/** Reads a whole request body as UTF-8. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A listening HTTP server and how to shut it down. */
export interface Listening {
  server: Server;
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Closes the server, dropping keep-alive and in-flight connections. */
  close(): Promise<void>;
}

/**
 * Starts an HTTP server on a kernel-chosen 127.0.0.1 port. A handler that
 * throws answers 500 with the message, so a bug in a test peer shows up in
 * the client instead of hanging it.
 */
export async function listen(handler: Handler): Promise<Listening> {
  const server = createServer((req, res) => {
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((e: unknown) => {
        if (!res.headersSent)
          res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(e instanceof Error ? e.message : String(e));
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') {
    throw new Error('listen: no TCP address');
  }
  const port = address.port;
  let closed: Promise<void> | undefined;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
