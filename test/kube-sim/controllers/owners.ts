/** Owner references shared by the workload controllers. */
import type { Obj } from '../types.js';

export function owned(list: Obj[], uid: string): Obj[] {
  return list.filter((o) =>
    ((o.metadata.ownerReferences ?? []) as Obj[]).some(
      (r) => r.uid === uid && r.controller,
    ),
  );
}

export function ownerRef(o: Obj): Obj {
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    name: o.metadata.name,
    uid: o.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}
