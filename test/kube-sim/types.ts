/** Shared types of the Kubernetes API simulator. */

/** A stored Kubernetes object: plain JSON. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = Record<string, any>;

export type PodBehavior =
  | 'ready'
  | 'crashloop'
  | 'imagepullbackoff'
  | 'oomkilled'
  | 'notready'
  | 'stuck';

export const POD_BEHAVIORS: readonly PodBehavior[] = [
  'ready',
  'crashloop',
  'imagepullbackoff',
  'oomkilled',
  'notready',
  'stuck',
];

/** Pod-template (or pod) annotation that selects a {@link PodBehavior}. */
export const BEHAVIOR_ANNOTATION = 'sim.pqc-ops.dev/behavior';
/** Certificate annotation: `fail` makes every issuance attempt fail. */
export const ISSUANCE_ANNOTATION = 'sim.pqc-ops.dev/issuance';

export interface JournalEntry {
  time: string;
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
  status: number;
  user: string;
}

export interface Fault {
  method?: string;
  /** Matched against the request path (no query). */
  path: string | RegExp;
  /** How many requests it applies to; default 1. */
  times?: number;
  status?: number;
  retryAfter?: number;
  message?: string;
  delayMs?: number;
  drop?: 'before-response' | 'mid-body';
}

export interface UserInfo {
  user: string;
  groups: string[];
}

export type MetricsMode = 'ok' | 'absent' | 'unavailable';

/** A JSON value as a string (strings verbatim, others as JSON). */
export function scalar(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v) ?? '';
}
