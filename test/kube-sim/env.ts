/** Container environment from the pod spec (env, envFrom, valueFrom). */
import type { SimCore } from './core.js';
import { type Obj, scalar } from './types.js';

/** Resolve the environment of a container like the kubelet. */
export function containerEnv(
  core: SimCore,
  pod: Obj,
  c: Obj,
): Record<string, string> {
  const ns = pod.metadata.namespace as string;
  const cm = (name: string) =>
    core.store.get(core.core('configmaps'), ns, name);
  const secret = (name: string) =>
    core.store.get(core.core('secrets'), ns, name);
  const env: Record<string, string> = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOSTNAME: String(pod.metadata.name),
    HOME: '/root',
    KUBERNETES_SERVICE_HOST: '10.96.0.1',
    KUBERNETES_SERVICE_PORT: '443',
  };
  for (const ef of (c.envFrom ?? []) as Obj[]) {
    const prefix = String(ef.prefix ?? '');
    if (ef.configMapRef)
      for (const [k, v] of Object.entries(
        (cm(String(ef.configMapRef.name))?.data ?? {}) as Obj,
      ))
        env[prefix + k] = String(v);
    if (ef.secretRef)
      for (const [k, v] of Object.entries(
        (secret(String(ef.secretRef.name))?.data ?? {}) as Obj,
      ))
        env[prefix + k] = Buffer.from(String(v), 'base64').toString();
  }
  const expand = (s: string) =>
    s
      .replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, k: string) => env[k] ?? m)
      .replace(/\$\$/g, '$');
  for (const e of (c.env ?? []) as Obj[]) {
    const name = String(e.name);
    if (e.value !== undefined) env[name] = expand(String(e.value));
    const vf = e.valueFrom as Obj | undefined;
    if (!vf) continue;
    if (vf.secretKeyRef) {
      const v = secret(String(vf.secretKeyRef.name))?.data?.[
        vf.secretKeyRef.key
      ];
      if (v !== undefined)
        env[name] = Buffer.from(String(v), 'base64').toString();
    } else if (vf.configMapKeyRef) {
      const v = cm(String(vf.configMapKeyRef.name))?.data?.[
        vf.configMapKeyRef.key
      ];
      if (v !== undefined) env[name] = String(v);
    } else if (vf.fieldRef) {
      const p = String(vf.fieldRef.fieldPath);
      const v = p
        .replace(/\[['"]?([^'"\]]+)['"]?\]/g, '.$1')
        .split('.')
        .reduce<unknown>((o, k) => (o as Obj | undefined)?.[k], pod);
      if (v !== undefined) env[name] = scalar(v);
    } else if (vf.resourceFieldRef) {
      const r = String(vf.resourceFieldRef.resource);
      const [kind, res] = r.split('.');
      const v = c.resources?.[kind]?.[res];
      env[name] = v === undefined ? '0' : String(v);
    }
  }
  return env;
}
