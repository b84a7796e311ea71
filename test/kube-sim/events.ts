/** Event recording with aggregation (count, lastTimestamp) like client-go. */
import { randomBytes } from 'node:crypto';
import type { SimCore } from './core.js';
import { now } from './store.js';
import type { Obj } from './types.js';

/** Record an Event about `obj` (aggregated by reason + message). */
export function recordEvent(
  core: SimCore,
  obj: Obj,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  component: string,
  fieldPath?: string,
): void {
  const rt = core.core('events');
  const ns = String(obj.metadata.namespace ?? 'default');
  const uid = obj.metadata.uid as string;
  const found = core.store
    .scan(rt, ns)
    .find(
      (e) =>
        e.involvedObject?.uid === uid &&
        e.reason === reason &&
        e.message === message,
    );
  const ts = now();
  const existing = found ? structuredClone(found) : undefined;
  if (existing) {
    existing.count = Number(existing.count ?? 1) + 1;
    existing.lastTimestamp = ts;
    core.store.update(rt, existing, { trusted: true });
    return;
  }
  const involved: Obj = {
    kind: obj.kind,
    namespace: obj.metadata.namespace,
    name: obj.metadata.name,
    uid,
    apiVersion: obj.apiVersion,
    resourceVersion: obj.metadata.resourceVersion,
  };
  if (fieldPath) involved.fieldPath = fieldPath;
  core.store.create(
    rt,
    {
      metadata: {
        name: `${String(obj.metadata.name)}.${randomBytes(8).toString('hex')}`,
        namespace: ns,
      },
      involvedObject: involved,
      reason,
      message,
      source: {
        component,
        ...(component === 'kubelet' ? { host: obj.spec?.nodeName } : {}),
      },
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: component,
      reportingInstance:
        component === 'kubelet' ? (obj.spec?.nodeName ?? '') : '',
    },
    { trusted: true },
  );
}
