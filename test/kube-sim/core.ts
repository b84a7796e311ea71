/** Shared state of one simulator instance. */
import { randomBytes } from 'node:crypto';
import { Faults, Journal } from './journal.js';
import { LogStore } from './logs.js';
import { VERSION } from './discovery.js';
import { MetricsState } from './metrics.js';
import { findByKind, findByPlural, type ResourceType } from './registry.js';
import { Store } from './store.js';
import type { Obj, PodBehavior, UserInfo } from './types.js';

export interface ExecHookContext {
  argv: string[];
  namespace: string;
  pod: string;
  container: string;
  stdin: NodeJS.ReadableStream;
  stdout: (data: string | Buffer) => void;
  stderr: (data: string | Buffer) => void;
}

/** A fake program for a pod, where no real program can exist here. */
export interface ExecHook {
  namespace?: string;
  pod?: string | RegExp;
  container?: string;
  /** Matches on argv[0] (string) or the whole argv (function). */
  command: string | ((argv: string[]) => boolean);
  run: (ctx: ExecHookContext) => Promise<number> | number;
}

export class SimCore {
  readonly store = new Store();
  readonly journal = new Journal();
  readonly faults = new Faults();
  readonly logs = new LogStore();
  readonly metrics = new MetricsState();
  readonly tokens = new Map<string, UserInfo>();
  readonly behaviors = new Map<string, PodBehavior>();
  readonly execHooks: ExecHook[] = [];
  /** What GET /version answers (setVersion changes it). */
  version: Record<string, string> = { ...VERSION };
  /** Cleanup callbacks run by close(). */
  readonly closers = new Set<() => void>();
  closed = false;
  /** Writes from periodic churn (crash loops) that settle() ignores. */
  noiseWrites = 0;

  constructor(
    readonly rbac: boolean,
    readonly tmpDir: string,
  ) {}

  newToken(u: UserInfo): string {
    const token = `sim-${randomBytes(12).toString('hex')}`;
    this.tokens.set(token, u);
    return token;
  }

  type(apiVersion: string, kind: string): ResourceType {
    const rt = findByKind(apiVersion, kind);
    if (!rt) throw new Error(`kube-sim: unknown type ${apiVersion} ${kind}`);
    return rt;
  }

  core(plural: string): ResourceType {
    return findByPlural('', 'v1', plural)!;
  }

  /** Remove ownerReferences to `uid` (propagationPolicy=Orphan). */
  orphan(uid: string): void {
    for (const { rt, obj } of this.store.ownedBy(uid)) {
      obj.metadata.ownerReferences = (
        obj.metadata.ownerReferences as Obj[]
      ).filter((r) => r.uid !== uid);
      this.store.update(rt, obj, { trusted: true });
    }
  }

  pod(ns: string, name: string): Obj | undefined {
    return this.store.get(this.core('pods'), ns, name);
  }
}

/** Identity of a token's user, with the implicit groups. */
export function userInfo(user: string, groups: string[] = []): UserInfo {
  const g = new Set(groups);
  const sa = /^system:serviceaccount:([^:]+):[^:]+$/.exec(user);
  if (sa) {
    g.add('system:serviceaccounts');
    g.add(`system:serviceaccounts:${sa[1]}`);
  }
  g.add('system:authenticated');
  return { user, groups: [...g] };
}
