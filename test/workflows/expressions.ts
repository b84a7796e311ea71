// GitHub Actions expressions (`${{ ... }}`), as the runner evaluates them:
// literals, contexts with `.` and `[...]`, `!`, `==`/`!=` (loose, strings
// case-insensitive), `<`..`>=`, `&&`/`||` returning an operand, the status
// functions and the usual built-ins. Enough for every workflow in this
// repository; anything else is an error, so a workflow the tests cannot read
// fails instead of being misread.

/** A value of an expression. */
export type Value =
  string | number | boolean | null | Value[] | { [key: string]: Value };

/** The contexts by name (github, inputs, secrets, needs, steps, job, ...). */
export type Contexts = Record<string, Value>;

/** The status functions of `if:`; the others are pure. */
export interface Status {
  success(): boolean;
  failure(): boolean;
  cancelled(): boolean;
}

const ALWAYS_TRUE: Status = {
  success: () => true,
  failure: () => false,
  cancelled: () => false,
};

type Token =
  | { t: 'str'; v: string }
  | { t: 'num'; v: number }
  | { t: 'id'; v: string }
  | { t: 'op'; v: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] ?? '';
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new Error(`unterminated string in ${src}`);
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            s += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += src[i++];
      }
      out.push({ t: 'str', v: s });
    } else if (
      /[0-9]/.test(c) ||
      (c === '-' && /[0-9]/.test(src[i + 1] ?? ''))
    ) {
      const m = /^-?(0x[0-9a-f]+|[0-9]+(\.[0-9]+)?(e[+-]?[0-9]+)?)/i.exec(
        src.slice(i),
      );
      out.push({ t: 'num', v: Number(m?.[0]) });
      i += m?.[0].length ?? 1;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(src.slice(i));
      out.push({ t: 'id', v: m?.[0] ?? c });
      i += m?.[0].length ?? 1;
    } else {
      const two = src.slice(i, i + 2);
      if (['==', '!=', '<=', '>=', '&&', '||'].includes(two)) {
        out.push({ t: 'op', v: two });
        i += 2;
      } else if ('()[].,!<>'.includes(c)) {
        out.push({ t: 'op', v: c });
        i++;
      } else throw new Error(`unexpected '${c}' in expression ${src}`);
    }
  }
  return out;
}

/** Truthiness as GitHub defines it: false, 0, -0, '', null and NaN are falsy. */
export function truthy(v: Value): boolean {
  return !(
    v === false ||
    v === null ||
    v === '' ||
    (typeof v === 'number' && (v === 0 || Number.isNaN(v)))
  );
}

function toNumber(v: Value): number {
  if (v === null) return 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return v.trim() === '' ? 0 : Number(v);
  return NaN;
}

/** The string a value becomes in `${{ }}` interpolation. */
export function toText(v: Value): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v, null, 2);
}

function looseEqual(a: Value, b: Value): boolean {
  if (typeof a === 'string' && typeof b === 'string')
    return a.toLowerCase() === b.toLowerCase();
  if (a === null && b === null) return true;
  const isObject = (v: Value) => v !== null && typeof v === 'object';
  if (isObject(a) || isObject(b)) return a === b;
  return toNumber(a) === toNumber(b);
}

function compare(a: Value, b: Value): number {
  if (typeof a === 'string' && typeof b === 'string')
    return a.toLowerCase() < b.toLowerCase() ? -1 : a === b ? 0 : 1;
  return toNumber(a) - toNumber(b);
}

function index(v: Value, key: Value): Value {
  if (v === null || typeof v !== 'object') return null;
  if (Array.isArray(v)) return v[toNumber(key)] ?? null;
  const k = toText(key).toLowerCase();
  const found = Object.keys(v).find((x) => x.toLowerCase() === k);
  return found === undefined ? null : (v[found] ?? null);
}

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly ctx: Contexts,
    private readonly status: Status,
    private readonly src: string,
  ) {}

  parse(): Value {
    const v = this.or();
    if (this.i < this.tokens.length)
      throw new Error(`unexpected token in expression ${this.src}`);
    return v;
  }

  private peek(v: string): boolean {
    const t = this.tokens[this.i];
    return t?.t === 'op' && t.v === v;
  }

  private expect(v: string): void {
    if (!this.peek(v)) throw new Error(`expected '${v}' in ${this.src}`);
    this.i++;
  }

  private or(): Value {
    let v = this.and();
    while (this.peek('||')) {
      this.i++;
      const r = this.and();
      v = truthy(v) ? v : r;
    }
    return v;
  }

  private and(): Value {
    let v = this.equality();
    while (this.peek('&&')) {
      this.i++;
      const r = this.equality();
      v = truthy(v) ? r : v;
    }
    return v;
  }

  private equality(): Value {
    let v = this.relation();
    while (this.peek('==') || this.peek('!=')) {
      const op = (this.tokens[this.i++] as { v: string }).v;
      const r = this.relation();
      v = op === '==' ? looseEqual(v, r) : !looseEqual(v, r);
    }
    return v;
  }

  private relation(): Value {
    let v = this.unary();
    for (;;) {
      const op = ['<', '<=', '>', '>='].find((o) => this.peek(o));
      if (!op) return v;
      this.i++;
      const c = compare(v, this.unary());
      v =
        op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
    }
  }

  private unary(): Value {
    if (this.peek('!')) {
      this.i++;
      return !truthy(this.unary());
    }
    return this.postfix(this.primary());
  }

  private postfix(v: Value): Value {
    for (;;) {
      if (this.peek('.')) {
        this.i++;
        const t = this.tokens[this.i++];
        if (t?.t === 'op' && t.v === '*')
          throw new Error(`object filters are not supported: ${this.src}`);
        if (t?.t !== 'id') throw new Error(`expected a name in ${this.src}`);
        v = index(v, t.v);
      } else if (this.peek('[')) {
        this.i++;
        const k = this.or();
        this.expect(']');
        v = index(v, k);
      } else return v;
    }
  }

  private primary(): Value {
    const t = this.tokens[this.i++];
    if (!t) throw new Error(`unexpected end of expression ${this.src}`);
    if (t.t === 'str' || t.t === 'num') return t.v;
    if (t.t === 'op' && t.v === '(') {
      const v = this.or();
      this.expect(')');
      return v;
    }
    if (t.t !== 'id') throw new Error(`unexpected '${t.v}' in ${this.src}`);
    if (t.v === 'true') return true;
    if (t.v === 'false') return false;
    if (t.v === 'null') return null;
    if (this.peek('(')) {
      this.i++;
      const args: Value[] = [];
      while (!this.peek(')')) {
        args.push(this.or());
        if (!this.peek(')')) this.expect(',');
      }
      this.i++;
      return this.call(t.v, args);
    }
    if (!(t.v in this.ctx))
      throw new Error(`unknown context '${t.v}' in ${this.src}`);
    return this.ctx[t.v] ?? null;
  }

  private call(name: string, a: Value[]): Value {
    const s = (i: number) => toText(a[i] ?? null);
    switch (name.toLowerCase()) {
      case 'always':
        return true;
      case 'success':
        return this.status.success();
      case 'failure':
        return this.status.failure();
      case 'cancelled':
        return this.status.cancelled();
      case 'fromjson':
        return JSON.parse(s(0)) as Value;
      case 'tojson':
        return JSON.stringify(a[0] ?? null, null, 2);
      case 'contains': {
        const h = a[0] ?? null;
        if (Array.isArray(h)) return h.some((x) => looseEqual(x, a[1] ?? null));
        return s(0).toLowerCase().includes(s(1).toLowerCase());
      }
      case 'startswith':
        return s(0).toLowerCase().startsWith(s(1).toLowerCase());
      case 'endswith':
        return s(0).toLowerCase().endsWith(s(1).toLowerCase());
      case 'format':
        return s(0).replace(/\{(\d+)\}/g, (_, n: string) => s(Number(n) + 1));
      case 'join': {
        const h = a[0] ?? null;
        const sep = a.length > 1 ? s(1) : ',';
        return Array.isArray(h) ? h.map(toText).join(sep) : toText(h);
      }
      default:
        throw new Error(`unknown function ${name}() in ${this.src}`);
    }
  }
}

/** Evaluates one expression (the text between `${{` and `}}`). */
export function evaluate(
  expr: string,
  ctx: Contexts,
  status: Status = ALWAYS_TRUE,
): Value {
  return new Parser(tokenize(expr), ctx, status, expr).parse();
}

const EXPR = /\$\{\{([\s\S]*?)\}\}/g;

/**
 * A workflow value with `${{ }}` in it: one expression alone keeps its type
 * (a boolean input stays a boolean); mixed with text it becomes a string.
 */
export function interpolate(
  text: unknown,
  ctx: Contexts,
  status: Status = ALWAYS_TRUE,
): Value {
  if (typeof text !== 'string') return (text ?? null) as Value;
  const whole = /^\s*\$\{\{([\s\S]*?)\}\}\s*$/.exec(text);
  if (whole && !whole[1]?.includes('}}'))
    return evaluate(whole[1] ?? '', ctx, status);
  return text.replace(EXPR, (_, e: string) => toText(evaluate(e, ctx, status)));
}

/** The expressions in a text, without their `${{ }}`. */
export function expressionsIn(text: string): string[] {
  return [...text.matchAll(EXPR)].map((m) => (m[1] ?? '').trim());
}

/** Whether an `if:` calls a status function (else GitHub adds `success() &&`). */
export function callsStatus(expr: string): boolean {
  return /\b(always|success|failure|cancelled)\s*\(/i.test(expr);
}

/** An `if:` as the runner evaluates it (with or without `${{ }}`). */
export function condition(
  raw: unknown,
  ctx: Contexts,
  status: Status,
): boolean {
  if (raw === undefined || raw === null) return status.success();
  if (typeof raw === 'boolean') return raw && status.success();
  const text = (typeof raw === 'string' ? raw : JSON.stringify(raw)).trim();
  const inner = /^\$\{\{([\s\S]*)\}\}$/.exec(text)?.[1] ?? text;
  const expr = callsStatus(inner) ? inner : `success() && (${inner})`;
  return truthy(evaluate(expr, ctx, status));
}

/**
 * The context references of an expression (`inputs.x`, `needs.job.outputs.y`,
 * `secrets.X`, `steps.id.outputs.z`, ...), as dotted paths of names.
 */
export function references(expr: string): string[][] {
  const tokens = tokenize(expr);
  const out: string[][] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    const prev = tokens[i - 1];
    const next = tokens[i + 1];
    if (t?.t !== 'id' || (prev?.t === 'op' && prev.v === '.')) continue;
    if (next?.t === 'op' && next.v === '(') continue;
    if (['true', 'false', 'null'].includes(t.v)) continue;
    const path = [t.v];
    let j = i + 1;
    for (;;) {
      const a = tokens[j];
      const b = tokens[j + 1];
      if (a?.t === 'op' && a.v === '.' && b?.t === 'id') {
        path.push(b.v);
        j += 2;
      } else if (
        a?.t === 'op' &&
        a.v === '[' &&
        b?.t === 'str' &&
        tokens[j + 2]?.t === 'op'
      ) {
        path.push(b.v);
        j += 3;
      } else break;
    }
    out.push(path);
  }
  return out;
}
