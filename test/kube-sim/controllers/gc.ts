/** Garbage collection of orphans and namespace housekeeping. */
import type { SimCore } from '../core.js';
import { TYPES } from '../registry.js';
import type { Obj } from '../types.js';

/** Delete objects whose owners are gone; give each namespace a `default` ServiceAccount. */
export function gcTick(core: SimCore): void {
  const uids = new Set<string>();
  const all: { rt: (typeof TYPES)[number]; o: Obj }[] = [];
  for (const rt of TYPES)
    for (const o of core.store.scan(rt)) {
      uids.add(String(o.metadata.uid));
      all.push({ rt, o });
    }
  for (const { rt, o } of all) {
    const refs = (o.metadata.ownerReferences ?? []) as Obj[];
    if (refs.length && refs.every((r) => !uids.has(String(r.uid))))
      core.store.delete(
        rt,
        o.metadata.namespace as string | undefined,
        String(o.metadata.name),
      );
  }
  const sa = core.core('serviceaccounts');
  for (const ns of core.store.scan(core.core('namespaces'))) {
    const name = String(ns.metadata.name);
    if (!core.store.has(sa, name, 'default'))
      core.store.create(
        sa,
        { metadata: { name: 'default', namespace: name } },
        { trusted: true },
      );
  }
}
