/** Loading YAML manifests (files or directories, multi-document). */
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Obj } from './types.js';

/** Read every object from files/directories (`.yaml`, `.yml`, `.json`), sorted. */
export function readManifests(paths: string[]): Obj[] {
  const files: string[] = [];
  const walk = (p: string) => {
    const st = fs.statSync(p);
    if (st.isDirectory())
      for (const f of fs.readdirSync(p).sort()) walk(path.join(p, f));
    else if (/\.(ya?ml|json)$/.test(p)) files.push(p);
  };
  for (const p of paths) walk(p);
  const out: Obj[] = [];
  for (const f of files)
    for (const doc of parseAllDocuments(fs.readFileSync(f, 'utf8'))) {
      if (doc.errors.length) throw new Error(`${f}: ${doc.errors[0].message}`);
      const o = doc.toJS() as Obj | null;
      if (!o) continue;
      if (o.kind === 'List' && Array.isArray(o.items))
        out.push(...(o.items as Obj[]));
      else out.push(o);
    }
  return out;
}

/** Order: namespaces, RBAC/config, then workloads (like kubectl apply would need). */
export function seedOrder(o: Obj): number {
  const order = [
    'Namespace',
    'ClusterRole',
    'ClusterRoleBinding',
    'ServiceAccount',
    'Role',
    'RoleBinding',
    'ConfigMap',
    'Secret',
    'PersistentVolumeClaim',
    'ClusterIssuer',
    'Issuer',
  ];
  const i = order.indexOf(String(o.kind));
  return i < 0 ? order.length : i;
}
