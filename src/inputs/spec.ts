import { isBucketUrl, parseBucketUrl } from '../storage/location.js';
import { existsSync, statSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import * as p from './parsers.js';
import { parseImage } from '../kube/image.js';
import { MAX_TIMER_MS } from '../process/timer.js';

/**
 * One input of one procedure. The same declaration drives the action's input
 * parsing, the CLI flags, the docs and the test that checks `action.yml`.
 */
export interface InputSpec<T> {
  readonly name: string;
  readonly description: string;
  /** Raw default as written in action.yml; '' = unset, undefined = required. */
  readonly default: string | undefined;
  /** A secret always, or only for values the predicate picks (inline kubeconfig). */
  readonly secret: boolean | ((raw: string) => boolean);
  /** The accepted form, for error messages and docs: "a duration such as 10s". */
  readonly form: string;
  /** Parses a non-empty raw value. Throws on a bad value. */
  parse(raw: string): T;
  /** The value when the raw input is empty and the default is ''. */
  readonly empty: T;
}

export type InputSpecs = Record<string, InputSpec<unknown>>;
export type OptionsOf<S extends InputSpecs> = {
  [K in keyof S]: S[K] extends InputSpec<infer T> ? T : never;
};

interface Common {
  description: string;
  secret?: boolean | ((raw: string) => boolean);
}

function make<T>(
  name: string,
  c: Common & { default?: string | undefined },
  form: string,
  parse: (raw: string) => T,
  empty: T,
): InputSpec<T> {
  return {
    name,
    description: c.description,
    default: 'default' in c ? c.default : '',
    secret: c.secret ?? false,
    form,
    parse,
    empty,
  };
}

type Opt = Common & { default?: string };
type Req = Common & { default: string | undefined };

/** The accepted forms shared by a required and an optional factory. */
const FORM = {
  duration: 'a duration such as 30s, 5m, 24h or 7d',
  kubeName: 'a Kubernetes name (lowercase letters, digits, - and .)',
  selector: 'a label selector such as app=pqc-audit,tier in (web,api)',
};

/** Bounds of a duration input, in milliseconds. */
export interface DurationBounds {
  /** Shortest accepted value; default 1s. */
  min?: number;
  /**
   * Longest accepted value; default 30d, or 24d for a `timer` (Node timers
   * take at most 2^31-1 ms, about 24.8 days).
   */
  max?: number;
  /** The value is a timer's delay (a timeout): `max` may not exceed 2^31-1 ms. */
  timer?: boolean;
}

export const DURATION_MIN_MS = 1000;
export const DURATION_MAX_MS = 30 * 86_400_000;
export const TIMER_DURATION_MAX_MS = 24 * 86_400_000;

/** Parser and form of a duration input with its bounds checked up front. */
function durationForm(
  name: string,
  b: DurationBounds,
): { form: string; parse: (raw: string) => number } {
  const min = b.min ?? DURATION_MIN_MS;
  const max = b.max ?? (b.timer ? TIMER_DURATION_MAX_MS : DURATION_MAX_MS);
  if (!(min >= 0 && min <= max) || (b.timer && max > MAX_TIMER_MS))
    throw new Error(
      `input '${name}': bad duration bounds ${min}..${max} ms in its declaration`,
    );
  return {
    form: `${FORM.duration}, from ${p.formatDuration(min)} to ${p.formatDuration(max)}`,
    parse: (s) => p.parseDurationWithin(s, min, max),
  };
}

/** Factories for the input forms; `optional` ones yield undefined when empty. */
export const input = {
  string: (name: string, c: Opt) =>
    make(name, c, 'a string', (s) => s, undefined as string | undefined),
  requiredString: (name: string, c: Req) =>
    make(name, c, 'a string', (s) => s, ''),
  boolean: (name: string, c: Req) =>
    make(name, c, 'true or false', p.parseBoolean, false),
  integer: (name: string, c: Req & { min?: number; max?: number }) => {
    const min = c.min ?? 0;
    const max = c.max ?? Number.MAX_SAFE_INTEGER;
    return make(
      name,
      c,
      `a whole number from ${min} to ${max}`,
      (s) => p.parseInteger(s, min, max),
      0,
    );
  },
  /** A duration in milliseconds, from `min` (1s) to `max` (30d) by default. */
  duration: (name: string, c: Req & DurationBounds) => {
    const d = durationForm(name, c);
    return make(name, c, d.form, d.parse, 0);
  },
  optionalDuration: (name: string, c: Opt & DurationBounds) => {
    const d = durationForm(name, c);
    return make(name, c, d.form, d.parse, undefined as number | undefined);
  },
  percent: (name: string, c: Req) =>
    make(name, c, 'a percentage such as 80%', p.parsePercent, 0),
  size: (name: string, c: Req) =>
    make(name, c, 'a size such as 512Mi or 2GB', p.parseSize, 0),
  kubeName: (name: string, c: Req) =>
    make(name, c, FORM.kubeName, p.parseKubeName, ''),
  optionalKubeName: (name: string, c: Opt) =>
    make(
      name,
      c,
      FORM.kubeName,
      p.parseKubeName,
      undefined as string | undefined,
    ),
  selector: (name: string, c: Req) =>
    make(name, c, FORM.selector, p.parseLabelSelector, ''),
  optionalSelector: (name: string, c: Opt) =>
    make(
      name,
      c,
      FORM.selector,
      p.parseLabelSelector,
      undefined as string | undefined,
    ),
  url: (name: string, c: Opt) =>
    make(
      name,
      c,
      'an http:// or https:// URL',
      p.parseHttpUrl,
      undefined as URL | undefined,
    ),
  enumeration: <const V extends string>(
    name: string,
    values: readonly V[],
    c: Req,
  ) =>
    make(
      name,
      c,
      `one of ${values.join(', ')}`,
      (s) => {
        if (!(values as readonly string[]).includes(s))
          throw new Error('not allowed');
        return s as V;
      },
      values[0],
    ),
  list: (name: string, c: Opt) =>
    make(
      name,
      c,
      'a list, one item per line or comma-separated',
      p.parseList,
      [] as string[],
    ),
  argv: (name: string, c: Opt) =>
    make(
      name,
      c,
      'a command as a JSON or YAML list, such as ["python3", "-c", "..."]',
      (s) => p.parseArgv(s, parseYaml),
      undefined as string[] | undefined,
    ),
  /** A list whose items must each match `item` (described by `itemForm`). */
  listOf: (name: string, item: RegExp, itemForm: string, c: Opt) =>
    make(
      name,
      c,
      `a list of ${itemForm}, one per line or comma-separated`,
      (s) => {
        const items = p.parseList(s);
        const bad = items.find((i) => !item.test(i));
        if (bad !== undefined)
          throw new Error(`"${bad}" is not ${itemForm.replace(/s$/, '')}`);
        return items;
      },
      [] as string[],
    ),
  /** An existing directory on the machine running the procedure. */
  directory: (name: string, c: Opt) =>
    make(
      name,
      c,
      'an existing directory',
      (s) => {
        const dir = p.parsePath(s);
        if (!existsSync(dir) || !statSync(dir).isDirectory())
          throw new Error('no such directory');
        return dir;
      },
      undefined as string | undefined,
    ),
  /** A container image reference (registry/repo[:tag][@sha256:...]). */
  image: (name: string, c: Req) =>
    make(
      name,
      c,
      'an image reference such as ghcr.io/org/app@sha256:<64 hex> or ghcr.io/org/app:1.5.0',
      (s) => {
        parseImage(s);
        return s.trim();
      },
      '',
    ),
  /** A directory inside a container (absolute, not /, no . or ..). */
  containerDir: (name: string, c: Req) =>
    make(
      name,
      c,
      'an absolute directory path inside the container, not / (no . or .. segments)',
      p.parseContainerDir,
      '',
    ),
  /**
   * A command: a JSON or YAML list of strings, or plain words split on
   * whitespace (no shell, no quoting: use the list form for arguments with
   * spaces). With `none`, the word none turns it off (undefined), since an
   * empty input means the default.
   */
  commandLine: (name: string, c: Opt & { none?: boolean }) =>
    make(
      name,
      c,
      `a command as words (python -m module) or a JSON list (["python", "-c", "..."])${c.none ? ', or none' : ''}`,
      (s): string[] | undefined =>
        c.none && s.trim() === 'none'
          ? undefined
          : s.trimStart().startsWith('[')
            ? p.parseArgv(s, parseYaml)
            : s.trim().split(/\s+/),
      undefined as string[] | undefined,
    ),
  /** Any other form: its words for errors and docs, its parser, its empty value. */
  parsed: <T>(
    name: string,
    form: string,
    parse: (raw: string) => T,
    empty: T,
    c: Opt,
  ) => make(name, c, form, parse, empty),
  /** An existing directory, or an s3://bucket/prefix/ URL (checked for form only). */
  directoryOrBucket: (name: string, c: Opt) =>
    make(
      name,
      c,
      'an existing directory or s3://bucket/optional/prefix/',
      (s) => {
        if (isBucketUrl(s)) {
          try {
            parseBucketUrl(s, name);
          } catch (e) {
            throw new Error(
              (e instanceof Error ? e.message : String(e)).replace(
                /^input '[^']*': /,
                '',
              ),
              { cause: e },
            );
          }
          return s;
        }
        const dir = p.parsePath(s);
        if (!existsSync(dir) || !statSync(dir).isDirectory())
          throw new Error('no such directory');
        return dir;
      },
      undefined as string | undefined,
    ),
  path: (name: string, c: Opt) =>
    make(
      name,
      c,
      'a file or directory path',
      p.parsePath,
      undefined as string | undefined,
    ),
};
