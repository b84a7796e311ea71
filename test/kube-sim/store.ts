/** The object store: one resourceVersion counter, write semantics, events. */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { apiVersionOf, type ResourceType, TYPES } from './registry.js';
import { applyDefaults } from './defaults.js';
import { validate } from './validate.js';
import {
  alreadyExists,
  ApiError,
  badRequest,
  conflict,
  notFound,
} from './status.js';
import type { Obj } from './types.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export interface StoreEvent {
  type: EventType;
  rt: ResourceType;
  object: Obj;
  old?: Obj;
  rv: number;
}

export interface WriteOpts {
  dryRun?: boolean;
  /** Keep `status` from the body on create (seeding). */
  keepStatus?: boolean;
  /** Skip validation (controllers writing their own objects). */
  trusted?: boolean;
}

const clone = <T>(o: T): T => structuredClone(o);

/** RFC 3339 timestamp with second precision, like metav1.Time. */
export function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

const HISTORY = 2000;

export class Store {
  private objects = new Map<string, Obj>();
  private byType = new Map<string, Map<string, Obj>>();
  private rvCounter = 1000;
  readonly history: StoreEvent[] = [];
  private listeners = new Set<(e: StoreEvent) => void>();
  /** Number of writes so far; controllers use it to detect change. */
  writes = 0;

  get rv(): number {
    return this.rvCounter;
  }

  private key(rt: ResourceType, ns: string | undefined, name: string) {
    return `${rt.group}|${rt.plural}|${rt.namespaced ? (ns ?? '') : ''}|${name}`;
  }

  onEvent(fn: (e: StoreEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(type: EventType, rt: ResourceType, object: Obj, old?: Obj) {
    this.writes++;
    const e: StoreEvent = { type, rt, object, old, rv: this.rvCounter };
    this.history.push(e);
    if (this.history.length > HISTORY) this.history.shift();
    for (const l of [...this.listeners]) l(e);
  }

  /** Oldest resourceVersion still replayable for watches. */
  oldestRv(): number {
    return this.history.length ? this.history[0].rv - 1 : this.rvCounter;
  }

  /** Whether the object exists (no copy made). */
  has(rt: ResourceType, ns: string | undefined, name: string): boolean {
    return this.objects.has(this.key(rt, ns, name));
  }

  get(rt: ResourceType, ns: string | undefined, name: string): Obj | undefined {
    const o = this.objects.get(this.key(rt, ns, name));
    return o ? clone(o) : undefined;
  }

  /**
   * The stored objects of a type, unsorted and NOT cloned: read-only, for
   * controllers that scan often.
   */
  scan(rt: ResourceType, ns?: string): Obj[] {
    const m = this.byType.get(`${rt.group}|${rt.plural}`);
    if (!m) return [];
    const all = [...m.values()];
    return ns !== undefined && rt.namespaced
      ? all.filter((o) => o.metadata.namespace === ns)
      : all;
  }

  /** Objects of a type, sorted by namespace then name (etcd key order). */
  list(rt: ResourceType, ns?: string): Obj[] {
    return this.sorted(rt, ns).map(clone);
  }

  /**
   * The live objects (not copies: callers must not change them) in the
   * apiserver's order, by key bytes, as etcd keeps them and as continue
   * tokens compare.
   */
  sorted(rt: ResourceType, ns?: string): Obj[] {
    return this.scan(rt, ns)
      .map((o) => [sortKey(o), o] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => o);
  }

  private put(rt: ResourceType, k: string, o: Obj) {
    this.objects.set(k, o);
    const tk = `${rt.group}|${rt.plural}`;
    let m = this.byType.get(tk);
    if (!m) this.byType.set(tk, (m = new Map()));
    m.set(k, o);
  }

  private drop(rt: ResourceType, k: string) {
    this.objects.delete(k);
    this.byType.get(`${rt.group}|${rt.plural}`)?.delete(k);
  }

  private requireNamespace(rt: ResourceType, ns: string | undefined) {
    if (!rt.namespaced) return;
    if (!ns)
      throw badRequest('the server could not find the requested resource');
    const nsType = TYPES[0];
    if (!this.objects.has(this.key(nsType, undefined, ns)))
      throw new ApiError(404, 'NotFound', `namespaces "${ns}" not found`, {
        name: ns,
        kind: 'namespaces',
      });
  }

  create(rt: ResourceType, body: Obj, opts: WriteOpts = {}): Obj {
    const obj = clone(body);
    obj.metadata ??= {};
    const md = obj.metadata as Obj;
    if (!md.name && md.generateName)
      md.name = `${String(md.generateName)}${randomSuffix()}`;
    if (rt.namespaced) md.namespace ??= 'default';
    else delete md.namespace;
    obj.apiVersion = apiVersionOf(rt);
    obj.kind = rt.kind;
    if (!opts.keepStatus && rt.subresources.includes('status'))
      delete obj.status;
    applyDefaults(rt, obj, undefined);
    if (!opts.trusted) validate(rt, obj, undefined);
    this.requireNamespace(rt, md.namespace as string | undefined);
    const k = this.key(rt, md.namespace as string, md.name as string);
    if (this.objects.has(k))
      throw alreadyExists(rt.plural, rt.group, md.name as string);
    md.uid = randomUUID();
    md.creationTimestamp = now();
    if ('spec' in obj) md.generation = 1;
    delete md.resourceVersion;
    delete md.deletionTimestamp;
    if (opts.dryRun) {
      md.resourceVersion = String(this.rvCounter);
      return obj;
    }
    md.resourceVersion = String(++this.rvCounter);
    this.put(rt, k, obj);
    this.emit('ADDED', rt, clone(obj));
    return clone(obj);
  }

  /** PUT semantics; `subresource: 'status'` only takes the status. */
  update(
    rt: ResourceType,
    body: Obj,
    opts: WriteOpts & { subresource?: string } = {},
  ): Obj {
    const md = (body.metadata ?? {}) as Obj;
    const ns = rt.namespaced ? (md.namespace as string) : undefined;
    const name = md.name as string;
    const k = this.key(rt, ns, name);
    const cur = this.objects.get(k);
    if (!cur) throw notFound(rt.plural, rt.group, name);
    if (
      !opts.trusted &&
      md.resourceVersion &&
      md.resourceVersion !== cur.metadata.resourceVersion
    )
      throw conflict(rt.plural, rt.group, name);
    let next: Obj;
    if (opts.subresource === 'status') {
      next = clone(cur);
      if (body.status === undefined) delete next.status;
      else next.status = clone(body.status);
      if (!opts.trusted)
        // metadata labels/annotations may change through status too
        for (const f of ['labels', 'annotations'] as const)
          if (md[f] !== undefined) next.metadata[f] = clone(md[f]);
    } else {
      next = clone(body);
      next.apiVersion = apiVersionOf(rt);
      next.kind = rt.kind;
      if (rt.subresources.includes('status')) {
        if (cur.status === undefined) delete next.status;
        else next.status = clone(cur.status);
      }
      applyDefaults(rt, next, cur);
      if (!opts.trusted) validate(rt, next, cur);
    }
    const nmd = next.metadata as Obj;
    for (const f of ['uid', 'creationTimestamp', 'namespace', 'name'])
      if (cur.metadata[f] !== undefined) nmd[f] = cur.metadata[f];
    if (cur.metadata.deletionTimestamp)
      nmd.deletionTimestamp = cur.metadata.deletionTimestamp;
    nmd.generation = cur.metadata.generation;
    if (nmd.generation === undefined) delete nmd.generation;
    if (
      opts.subresource !== 'status' &&
      'spec' in next &&
      !isDeepStrictEqual(next.spec, cur.spec)
    )
      nmd.generation = ((cur.metadata.generation as number) ?? 0) + 1;
    nmd.resourceVersion = cur.metadata.resourceVersion;
    if (isDeepStrictEqual(next, cur) || opts.dryRun) return clone(next);
    nmd.resourceVersion = String(++this.rvCounter);
    this.put(rt, k, next);
    this.emit('MODIFIED', rt, clone(next), clone(cur));
    return clone(next);
  }

  delete(
    rt: ResourceType,
    ns: string | undefined,
    name: string,
    opts: { dryRun?: boolean; uid?: string; rv?: string } = {},
  ): Obj {
    const k = this.key(rt, ns, name);
    const cur = this.objects.get(k);
    if (!cur) throw notFound(rt.plural, rt.group, name);
    if (opts.uid && opts.uid !== cur.metadata.uid)
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${rt.group ? `${rt.plural}.${rt.group}` : rt.plural} "${name}": Precondition failed: UID in precondition: ${opts.uid}, UID in object meta: ${String(cur.metadata.uid)}`,
      );
    if (opts.rv && opts.rv !== cur.metadata.resourceVersion)
      throw conflict(rt.plural, rt.group, name);
    if (opts.dryRun) return clone(cur);
    this.drop(rt, k);
    const gone = clone(cur);
    gone.metadata.resourceVersion = String(++this.rvCounter);
    this.emit('DELETED', rt, gone);
    if (rt.plural === 'namespaces' && !rt.group) this.dropNamespace(name);
    return clone(gone);
  }

  private dropNamespace(ns: string) {
    for (const rt of TYPES) {
      if (!rt.namespaced) continue;
      for (const o of this.list(rt, ns))
        this.delete(rt, ns, o.metadata.name as string);
    }
  }

  /** All objects (any type) whose ownerReferences name this uid. */
  ownedBy(uid: string): { rt: ResourceType; obj: Obj }[] {
    const out: { rt: ResourceType; obj: Obj }[] = [];
    for (const rt of TYPES)
      for (const obj of this.scan(rt))
        if (
          ((obj.metadata.ownerReferences ?? []) as Obj[]).some(
            (r) => r.uid === uid,
          )
        )
          out.push({ rt, obj: clone(obj) });
    return out;
  }
}

function sortKey(o: Obj): string {
  return `${String(o.metadata?.namespace ?? '')}/${String(o.metadata?.name)}`;
}

const ALNUM = 'bcdfghjklmnpqrstvwxz2456789';
/** Five characters like the apiserver's generateName suffix. */
export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++)
    s += ALNUM[Math.floor(Math.random() * ALNUM.length)];
  return s;
}
