/** Label and field selectors, parsed like apimachinery does. */
import type { ResourceType } from './registry.js';
import { badRequest } from './status.js';
import type { Obj } from './types.js';

type Req =
  | { key: string; op: 'eq' | 'neq'; values: [string] }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists'; values: [] };

export type Matcher = (labels: Record<string, string>) => boolean;

/** Split on commas that are not inside parentheses. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((x) => x.trim()).filter((x) => x !== '');
}

const KEY =
  /^([a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?\/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$/;

function parseReq(s: string): Req {
  let m = /^!\s*(\S+)$/.exec(s);
  if (m) return { key: check(m[1]), op: 'notexists', values: [] };
  m = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(s);
  if (m) {
    const values = m[3]
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
    return { key: check(m[1]), op: m[2] as 'in' | 'notin', values };
  }
  m = /^([^=!\s]+)\s*(==|!=|=)\s*(\S*)$/.exec(s);
  if (m) {
    const op = m[2] === '!=' ? 'neq' : 'eq';
    return { key: check(m[1]), op, values: [m[3]] };
  }
  if (/^\S+$/.test(s)) return { key: check(s), op: 'exists', values: [] };
  throw badRequest(
    `unable to parse requirement: found '${s}', expected: in, notin, =, ==, !=, gt, lt`,
  );
}

function check(key: string): string {
  if (!KEY.test(key))
    throw badRequest(
      `unable to parse requirement: <nil>: Invalid value: "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
    );
  return key;
}

/** Parse a label selector string; empty means everything. */
export function parseLabelSelector(sel: string | undefined): Matcher {
  if (!sel || !sel.trim()) return () => true;
  const reqs = splitTop(sel).map(parseReq);
  return (labels) =>
    reqs.every((r) => {
      const has = Object.prototype.hasOwnProperty.call(labels, r.key);
      const v = labels[r.key];
      switch (r.op) {
        case 'eq':
          return has && v === r.values[0];
        case 'neq':
          return !has || v !== r.values[0];
        case 'in':
          return has && r.values.includes(v);
        case 'notin':
          return !has || !r.values.includes(v);
        case 'exists':
          return has;
        case 'notexists':
          return !has;
      }
    });
}

/** A structured `LabelSelector` (matchLabels/matchExpressions) as a matcher. */
export function labelSelectorMatcher(sel: Obj | undefined): Matcher {
  return parseLabelSelector(labelSelectorString(sel));
}

/** `{matchLabels, matchExpressions}` -> `a=b,c in (d)`. */
export function labelSelectorString(sel: Obj | undefined): string {
  if (!sel) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries((sel.matchLabels ?? {}) as Obj))
    parts.push(`${k}=${String(v)}`);
  for (const e of (sel.matchExpressions ?? []) as Obj[]) {
    const vals = ((e.values ?? []) as string[]).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${vals})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${vals})`);
    else if (e.operator === 'Exists') parts.push(String(e.key));
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

export type ObjMatcher = (o: Obj) => boolean;

/** Parse a field selector for a type; unknown fields -> 400. */
export function parseFieldSelector(
  sel: string | undefined,
  rt: ResourceType,
): ObjMatcher {
  if (!sel || !sel.trim()) return () => true;
  const tests = splitTop(sel).map((s) => {
    const m = /^([^=!]+?)\s*(==|!=|=)\s*(.*)$/.exec(s);
    if (!m)
      throw badRequest(`invalid selector: '${sel}'; can't understand '${s}'`);
    const [, field, op, value] = m;
    let get: (o: Obj) => string | undefined;
    if (field === 'metadata.name') get = (o) => o.metadata?.name as string;
    else if (field === 'metadata.namespace' && rt.namespaced)
      get = (o) => o.metadata?.namespace as string;
    else if (rt.fields[field]) get = rt.fields[field];
    else throw badRequest(`field label not supported: ${field}`);
    return (o: Obj) => {
      const v = get(o) ?? '';
      return op === '!=' ? v !== value : v === value;
    };
  });
  return (o) => tests.every((f) => f(o));
}
