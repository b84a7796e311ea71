/**
 * Just enough Kubernetes protobuf decoding for the authorization reviews that
 * kubectl (auth can-i) sends as application/vnd.kubernetes.protobuf.
 */
import { badRequest } from './status.js';
import type { Obj } from './types.js';

type Fields = Map<number, (Buffer | number)[]>;

function varint(b: Buffer, pos: { i: number }): number {
  let n = 0;
  let shift = 0;
  for (;;) {
    const byte = b[pos.i++];
    if (byte === undefined) throw badRequest('truncated protobuf');
    n += (byte & 0x7f) * 2 ** shift;
    if (!(byte & 0x80)) return n;
    shift += 7;
  }
}

function fields(b: Buffer): Fields {
  const out: Fields = new Map();
  const pos = { i: 0 };
  while (pos.i < b.length) {
    const tag = varint(b, pos);
    const f = Math.floor(tag / 8);
    const wt = tag & 7;
    let v: Buffer | number;
    if (wt === 0) v = varint(b, pos);
    else if (wt === 2) {
      const len = varint(b, pos);
      v = b.subarray(pos.i, pos.i + len);
      pos.i += len;
    } else if (wt === 1) {
      v = 0;
      pos.i += 8;
    } else if (wt === 5) {
      v = 0;
      pos.i += 4;
    } else throw badRequest(`unsupported protobuf wire type ${wt}`);
    out.set(f, [...(out.get(f) ?? []), v]);
  }
  return out;
}

const str = (m: Fields, f: number) => {
  const v = m.get(f)?.[0];
  return Buffer.isBuffer(v) ? v.toString() : undefined;
};
const sub = (m: Fields, f: number) => {
  const v = m.get(f)?.[0];
  return Buffer.isBuffer(v) ? fields(v) : undefined;
};

function compact(o: Obj): Obj {
  return Object.fromEntries(
    Object.entries(o).filter(([, v]) => v !== undefined),
  );
}

function resourceAttributes(m: Fields | undefined): Obj | undefined {
  if (!m) return undefined;
  return compact({
    namespace: str(m, 1),
    verb: str(m, 2),
    group: str(m, 3),
    version: str(m, 4),
    resource: str(m, 5),
    subresource: str(m, 6),
    name: str(m, 7),
  });
}

function nonResourceAttributes(m: Fields | undefined): Obj | undefined {
  if (!m) return undefined;
  return compact({ path: str(m, 1), verb: str(m, 2) });
}

/** Decode a `k8s\0`-enveloped authorization review into its JSON shape. */
export function decodeReview(raw: Buffer): Obj {
  if (raw.subarray(0, 4).toString('latin1') !== 'k8s\0')
    throw badRequest('protobuf body without the k8s envelope');
  const unknown = fields(raw.subarray(4));
  const tm = sub(unknown, 1);
  const kind = tm ? str(tm, 2) : undefined;
  const obj = fields(
    (unknown.get(2)?.[0] as Buffer | undefined) ?? Buffer.alloc(0),
  );
  const spec = sub(obj, 2);
  let s: Obj = {};
  if (spec && kind === 'SelfSubjectRulesReview')
    s = compact({ namespace: str(spec, 1) });
  else if (spec)
    s = compact({
      resourceAttributes: resourceAttributes(sub(spec, 1)),
      nonResourceAttributes: nonResourceAttributes(sub(spec, 2)),
      user: str(spec, 3),
      groups: (spec.get(4) ?? []).map((g) => g.toString()),
      uid: str(spec, 6),
    });
  return {
    apiVersion: tm ? str(tm, 1) : undefined,
    kind,
    metadata: {},
    spec: s,
  };
}
