import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnDaemon, tempDirCleanup, waitUntil } from './daemon.js';
import { freePort } from './ports.js';

/** A fault the server injects into matching requests. */
export interface S3Fault {
  /** UploadPart, CreateMultipartUpload, CompleteMultipartUpload, GetObject, ... or '*'. */
  op: string;
  /** How many matching requests it hits. */
  times: number;
  status?: number;
  code?: string;
  /** Cut the connection after the first bytes of the request body. */
  drop?: boolean;
  delayMs?: number;
  /** Only requests with a header starting with this (a store that refuses unknown headers). */
  ifHeader?: string;
}

/** One request as the server saw it. */
export interface S3Request {
  op: string;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
}

/** A running s3rver with its admin API. */
export interface S3Server {
  endpoint: string;
  /** The credentials it accepts (also set as env() for the SDK's chain). */
  env(): Record<string, string>;
  faults(f: S3Fault[]): Promise<void>;
  reset(): Promise<void>;
  log(): Promise<S3Request[]>;
  /** Multipart uploads in progress, read from the server's own store. */
  uploads(): Promise<{ bucket: string; key: string; parts: number }[]>;
  /** Runs the aws CLI (Debian's awscli) against the server. */
  aws(
    args: string[],
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

const ACCESS_KEY = 'S3RVER';
const SECRET_KEY = 'S3RVER';

/**
 * Starts s3rver (test/services/s3-server.mjs) on a free 127.0.0.1 port with
 * `buckets` created, in a temp dir; waits until it answers.
 */
export async function startS3(buckets: string[]): Promise<S3Server> {
  const dir = await mkdtemp(join(tmpdir(), 'pqc-s3-'));
  const removeDir = tempDirCleanup(dir);
  const port = await freePort();
  const daemon = spawnDaemon(
    process.execPath,
    [
      // s3rver's list continuation tokens use DES, which OpenSSL 3 keeps in
      // its legacy provider.
      '--openssl-legacy-provider',
      join(import.meta.dirname, 's3-server.mjs'),
      dir,
      String(port),
      buckets.join(','),
    ],
    { name: 's3rver', cwd: join(import.meta.dirname, '..', '..') },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const admin = (p: string, init?: RequestInit) =>
    fetch(`${endpoint}/__admin/${p}`, init);
  try {
    await waitUntil(
      async () => (await admin('log')).ok,
      30_000,
      `s3rver on port ${port}`,
      daemon,
    );
  } catch (e) {
    await daemon.stop('SIGKILL');
    removeDir();
    throw e;
  }
  const env = () => ({
    AWS_ACCESS_KEY_ID: ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: SECRET_KEY,
    AWS_REGION: 'us-east-1',
  });
  return {
    endpoint,
    env,
    async faults(f) {
      await admin('faults', { method: 'POST', body: JSON.stringify(f) });
    },
    async reset() {
      await admin('reset', { method: 'POST' });
    },
    async log() {
      return (await (await admin('log')).json()) as S3Request[];
    },
    async uploads() {
      return (await (await admin('uploads')).json()) as {
        bucket: string;
        key: string;
        parts: number;
      }[];
    },
    aws(args) {
      return new Promise((resolve, reject) => {
        const c = spawn('aws', ['--endpoint-url', endpoint, ...args], {
          env: {
            ...process.env,
            ...env(),
            AWS_CONFIG_FILE: '/dev/null',
            AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
          },
        });
        let stdout = '';
        let stderr = '';
        c.stdout.on('data', (d: Buffer) => (stdout += String(d)));
        c.stderr.on('data', (d: Buffer) => (stderr += String(d)));
        c.on('error', reject);
        c.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
      });
    },
    async stop() {
      await daemon.stop();
      removeDir();
    },
  };
}
