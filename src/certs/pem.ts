import { readTlv } from './der.js';

/** One certificate of a PEM bundle. */
export interface PemCertificate {
  /** Position among the bundle's PEM blocks, from 0 (other block types count). */
  index: number;
  /** 1-based line of its BEGIN line. */
  line: number;
  der: Buffer;
  /** From a `TRUSTED CERTIFICATE` block (OpenSSL's trust settings dropped). */
  trusted: boolean;
}

/** A block that was meant to be a certificate and is not readable. */
export interface PemProblem {
  index: number;
  line: number;
  /** One line, naming the block: `block 3 (line 57): ...`. */
  message: string;
}

/** A PEM block of another type (a key, a CRL), left alone. */
export interface PemSkipped {
  index: number;
  line: number;
  label: string;
}

export interface PemBundle {
  certificates: PemCertificate[];
  problems: PemProblem[];
  skipped: PemSkipped[];
}

const BEGIN = /^-----BEGIN ([A-Z0-9 ]+)-----\s*$/;
const END = /^-----END ([A-Z0-9 ]+)-----\s*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Every CERTIFICATE (and TRUSTED CERTIFICATE) block of a PEM text, in order.
 * Tolerates CRLF and any text between blocks (openssl's `-text` dumps,
 * comments). A block that does not decode is reported in `problems` with its
 * index and line, and the others are still returned; blocks of other types
 * are listed in `skipped`.
 */
export function splitPem(text: string): PemBundle {
  const out: PemBundle = { certificates: [], problems: [], skipped: [] };
  const lines = text.split(/\r?\n|\r/);
  let index = -1;
  for (let i = 0; i < lines.length; i++) {
    const begin = BEGIN.exec(lines[i].trim());
    if (!begin) continue;
    index++;
    const label = begin[1];
    const line = i + 1;
    const problem = (why: string) =>
      out.problems.push({
        index,
        line,
        message: `block ${index} (line ${line}, ${label}): ${why}`,
      });
    const body: string[] = [];
    let end: RegExpExecArray | null = null;
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j].trim();
      end = END.exec(l);
      if (end || BEGIN.test(l)) break;
      body.push(l);
    }
    const isCert = label === 'CERTIFICATE' || label === 'TRUSTED CERTIFICATE';
    if (!end) {
      if (isCert) problem('no END line before the next block or end of text');
      else out.skipped.push({ index, line, label });
      i = j - 1; // a BEGIN that cut this block short starts the next one
      continue;
    }
    i = j;
    if (!isCert) {
      out.skipped.push({ index, line, label });
      continue;
    }
    if (end[1] !== label) {
      problem(`ends with END ${end[1]}`);
      continue;
    }
    const decoded = decodeBody(body.join(''), label === 'TRUSTED CERTIFICATE');
    if (typeof decoded === 'string') problem(decoded);
    else
      out.certificates.push({
        index,
        line,
        der: decoded,
        trusted: label === 'TRUSTED CERTIFICATE',
      });
  }
  return out;
}

// The DER of the certificate, or why there is none. A TRUSTED CERTIFICATE is
// the certificate followed by OpenSSL's X509_CERT_AUX: keep the first element.
function decodeBody(b64: string, trusted: boolean): Buffer | string {
  if (b64.length === 0) return 'empty block';
  if (!BASE64.test(b64) || b64.length % 4 !== 0)
    return b64.includes(':')
      ? 'has PEM headers (an encrypted or non-standard block)'
      : 'invalid base64';
  const der = Buffer.from(b64, 'base64');
  if (der[0] !== 0x30) return 'not a DER SEQUENCE';
  try {
    const t = readTlv(der, 0);
    if (t.end !== der.length && !trusted)
      return `${der.length - t.end} stray bytes after the certificate`;
    return trusted ? der.subarray(0, t.end) : der;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
