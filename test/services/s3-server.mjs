// An S3-compatible server for tests: s3rver 3.7.1 (npm), which we did not
// write, with its own signature checks and filesystem store. It lacks two
// multipart operations; the two small handlers below add them over its store
// (an upload is a directory <root>/<bucket>/._S3rver_uploads/<uploadId>/):
// AbortMultipartUpload (DELETE ?uploadId) and ListMultipartUploads
// (GET ?uploads). And an admin API at /__admin/ injects faults and keeps a
// request log. Usage: node s3-server.mjs <dir> <port> <bucket,...>
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import S3rver from 's3rver';

const [dir, port, buckets] = process.argv.slice(2);
const faults = [];
const log = [];
const UPLOADS = '._S3rver_uploads';

const srv = new S3rver({
  address: '127.0.0.1',
  port: Number(port),
  silent: true,
  directory: dir,
  configureBuckets: buckets.split(',').map((name) => ({ name })),
});

function operation(method, path, q) {
  const [, bucket = '', ...key] = path.split('/');
  const k = key.join('/');
  if (method === 'PUT' && 'uploadId' in q) return 'UploadPart';
  if (method === 'POST' && 'uploads' in q) return 'CreateMultipartUpload';
  if (method === 'POST' && 'uploadId' in q) return 'CompleteMultipartUpload';
  if (method === 'DELETE' && 'uploadId' in q) return 'AbortMultipartUpload';
  if (method === 'GET' && 'uploads' in q) return 'ListMultipartUploads';
  if (!k) {
    if (method === 'GET') return 'ListObjects';
    if (method === 'POST' && 'delete' in q) return 'DeleteObjects';
    return `${method}Bucket`;
  }
  return (
    {
      GET: 'GetObject',
      HEAD: 'HeadObject',
      PUT: 'PutObject',
      DELETE: 'DeleteObject',
    }[method] ?? method
  ).concat(bucket ? '' : '');
}

async function uploadsOf(bucket) {
  const root = join(dir, bucket, UPLOADS);
  const ids = await readdir(root).catch(() => []);
  const out = [];
  for (const id of ids) {
    const key = await readFile(join(root, id, 'key'), 'utf8').catch(() => '');
    const parts = (await readdir(join(root, id)).catch(() => [])).filter((f) =>
      /^\d+$/.test(f),
    );
    out.push({ bucket, uploadId: id, key, parts: parts.length });
  }
  return out;
}

function signedByKnownKey(ctx) {
  return /Credential=S3RVER\//.test(ctx.get('authorization'));
}

const xml = (body) => `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;

srv.middleware.unshift(async (ctx, next) => {
  const q = ctx.query;
  if (ctx.path.startsWith('/__admin/')) {
    const what = ctx.path.slice('/__admin/'.length);
    if (what === 'faults' && ctx.method === 'POST') {
      const chunks = [];
      for await (const c of ctx.req) chunks.push(c);
      faults.push(...JSON.parse(Buffer.concat(chunks).toString()));
      ctx.body = 'ok';
    } else if (what === 'reset') {
      faults.length = 0;
      log.length = 0;
      ctx.body = 'ok';
    } else if (what === 'log') {
      ctx.body = JSON.stringify(log);
    } else if (what === 'uploads') {
      const all = [];
      for (const b of buckets.split(',')) all.push(...(await uploadsOf(b)));
      ctx.body = JSON.stringify(all);
    } else ctx.status = 404;
    return;
  }
  const op = operation(ctx.method, ctx.path, q);
  log.push({
    op,
    method: ctx.method,
    path: ctx.path,
    query: q,
    headers: Object.fromEntries(
      Object.entries(ctx.headers).filter(([h]) =>
        /^(x-amz-|content-md5|content-encoding|content-length|content-type)/.test(
          h,
        ),
      ),
    ),
  });
  const i = faults.findIndex(
    (f) =>
      (f.op === op || f.op === '*') &&
      (!f.ifHeader ||
        Object.keys(ctx.headers).some((h) => h.startsWith(f.ifHeader))),
  );
  if (i !== -1) {
    const f = faults[i];
    if (--f.times <= 0) faults.splice(i, 1);
    if (f.drop) {
      // Read a little of the body, then cut the connection.
      await new Promise((r) => ctx.req.once('data', r));
      ctx.req.socket.destroy();
      return;
    }
    if (f.delayMs) await new Promise((r) => setTimeout(r, f.delayMs));
    if (f.status) {
      // Read the whole request first, as S3 does before it answers an error:
      // answering mid-body makes Node close the connection, and the client
      // then sees EPIPE instead of the status (a flaky test, not a fault).
      if (!ctx.req.readableEnded)
        await new Promise((r) => {
          ctx.req.once('end', r);
          ctx.req.once('error', r);
          ctx.req.resume();
        });
      ctx.status = f.status;
      ctx.type = 'application/xml';
      ctx.body = xml(
        `<Error><Code>${f.code ?? 'InternalError'}</Code><Message>${f.message ?? 'injected fault'}</Message></Error>`,
      );
      return;
    }
  }
  const [, bucket = ''] = ctx.path.split('/');
  if (op === 'AbortMultipartUpload' && signedByKnownKey(ctx)) {
    const upload = join(dir, bucket, UPLOADS, String(q.uploadId));
    const there = await readdir(upload).then(
      () => true,
      () => false,
    );
    if (!there) {
      ctx.status = 404;
      ctx.type = 'application/xml';
      ctx.body = xml('<Error><Code>NoSuchUpload</Code></Error>');
      return;
    }
    await rm(upload, { recursive: true, force: true });
    ctx.status = 204;
    return;
  }
  if (op === 'ListMultipartUploads' && signedByKnownKey(ctx)) {
    const ups = await uploadsOf(bucket);
    ctx.type = 'application/xml';
    ctx.body = xml(
      `<ListMultipartUploadsResult><Bucket>${bucket}</Bucket><IsTruncated>false</IsTruncated>${ups
        .map(
          (u) =>
            `<Upload><Key>${u.key}</Key><UploadId>${u.uploadId}</UploadId></Upload>`,
        )
        .join('')}</ListMultipartUploadsResult>`,
    );
    return;
  }
  await next();
});

await srv.run();
console.log(`s3rver ready on ${port}`);
