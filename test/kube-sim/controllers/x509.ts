/** openssl helpers: self-signed certificates with exact validity windows. */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Go duration (`2160h`, `720h0m0s`, `90m`) to milliseconds. */
export function parseDuration(s: string | undefined, dflt: number): number {
  if (!s) return dflt;
  let ms = 0;
  const re = /(\d+(?:\.\d+)?)(h|m|s|ms)/g;
  let m: RegExpExecArray | null;
  let any = false;
  while ((m = re.exec(s))) {
    any = true;
    const n = Number(m[1]);
    ms +=
      m[2] === 'h'
        ? n * 3600e3
        : m[2] === 'm'
          ? n * 60e3
          : m[2] === 's'
            ? n * 1e3
            : n;
  }
  return any ? ms : dflt;
}

export const DAY = 86400e3;
const asn1 = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d+Z$/, 'Z')
    .slice(2);
export const iso = (d: Date) => d.toISOString().replace(/\.\d+Z$/, 'Z');

/** Create a self-signed certificate valid exactly [notBefore, notAfter]. */
export async function makeCert(
  dir: string,
  cn: string,
  dns: string[],
  notBefore: Date,
  notAfter: Date,
  algo: string,
): Promise<{ crt: string; key: string }> {
  await fs.mkdir(dir, { recursive: true });
  const f = (n: string) => path.join(dir, n);
  await fs.writeFile(f('index.txt'), '');
  await fs.writeFile(
    f('serial'),
    `${Math.floor(Math.random() * 1e15)
      .toString(16)
      .padStart(16, '0')}\n`,
  );
  const san = dns.length
    ? `subjectAltName=${dns.map((d) => `DNS:${d}`).join(',')}`
    : '';
  await fs.writeFile(
    f('ca.cnf'),
    `[ca]\ndefault_ca=sim\n[sim]\ndir=${dir}\ndatabase=$dir/index.txt\nserial=$dir/serial\nnew_certs_dir=$dir\ndefault_md=sha256\npolicy=any\nunique_subject=no\ncopy_extensions=none\nx509_extensions=ext\n[any]\ncommonName=optional\n[ext]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n${san}\n[req]\ndistinguished_name=dn\nprompt=no\n[dn]\nCN=${cn || dns[0] || 'sim'}\n`,
  );
  const keyArgs =
    algo === 'ECDSA'
      ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']
      : algo === 'Ed25519'
        ? ['-newkey', 'ed25519']
        : ['-newkey', 'rsa:2048'];
  await run('openssl', [
    'req',
    '-new',
    ...keyArgs,
    '-nodes',
    '-keyout',
    f('tls.key'),
    '-out',
    f('tls.csr'),
    '-config',
    f('ca.cnf'),
  ]);
  await run('openssl', [
    'ca',
    '-batch',
    '-selfsign',
    '-config',
    f('ca.cnf'),
    '-keyfile',
    f('tls.key'),
    '-in',
    f('tls.csr'),
    '-out',
    f('tls.crt'),
    '-startdate',
    asn1(notBefore),
    '-enddate',
    asn1(notAfter),
    '-notext',
  ]);
  return {
    crt: await fs.readFile(f('tls.crt'), 'utf8'),
    key: await fs.readFile(f('tls.key'), 'utf8'),
  };
}
