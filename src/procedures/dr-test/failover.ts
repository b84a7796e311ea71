import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { ConfigurationError } from '../../errors.js';
import type { Kube } from '../../kube/client.js';
import { waitForRollout } from '../../kube/rollout.js';
import type { StateRef } from '../../plan/plan.js';
import { FileReadError, readFileCappedSync } from '../../process/read-file.js';

/** One object of the failover manifests. */
export interface FailoverObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  /** "<Kind> <ns>/<name> in <context>": the object in the plan. */
  object: string;
  doc: KubernetesObject;
}

const MANIFEST_MAX_BYTES = 4 * 1024 * 1024;
const MANIFEST_FILE = /\.(ya?ml|json)$/;

function filesOf(path: string): string[] {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new ConfigurationError(
      `input 'failover-manifests': no file or directory at ${path}`,
    );
  }
  if (!st.isDirectory()) return [path];
  const files = readdirSync(path)
    .filter((n) => MANIFEST_FILE.test(n))
    .sort()
    .map((n) => join(path, n));
  if (files.length === 0)
    throw new ConfigurationError(
      `input 'failover-manifests': ${path} holds no *.yaml, *.yml or *.json file`,
    );
  return files;
}

function docsOf(file: string): Record<string, unknown>[] {
  let text: string;
  try {
    text = readFileCappedSync(file, MANIFEST_MAX_BYTES, file);
  } catch (e) {
    if (e instanceof FileReadError)
      throw new ConfigurationError(`input 'failover-manifests': ${e.message}`);
    throw e;
  }
  const docs = parseAllDocuments(text);
  const out: Record<string, unknown>[] = [];
  for (const d of docs) {
    if (d.errors.length > 0)
      throw new ConfigurationError(
        `input 'failover-manifests': ${file} is not valid YAML: ${d.errors[0]?.message.split('\n')[0] ?? ''}`,
      );
    const v = d.toJSON() as unknown;
    if (v === null || v === undefined) continue;
    if (typeof v !== 'object' || Array.isArray(v))
      throw new ConfigurationError(
        `input 'failover-manifests': ${file} holds a document that is not a Kubernetes object`,
      );
    out.push(v as Record<string, unknown>);
  }
  return out;
}

/**
 * Reads the failover manifests (files, or the manifest files of directories,
 * in name order); every document must be an object with apiVersion, kind and
 * metadata.name. Objects without a namespace go to `namespace`.
 */
export function readFailover(
  paths: string[],
  namespace: string,
  context: string,
): FailoverObject[] {
  const out: FailoverObject[] = [];
  for (const file of paths.flatMap(filesOf)) {
    for (const d of docsOf(file)) {
      const meta = (d['metadata'] ?? {}) as Record<string, unknown>;
      const apiVersion = d['apiVersion'];
      const kind = d['kind'];
      const name = meta['name'];
      if (
        typeof apiVersion !== 'string' ||
        typeof kind !== 'string' ||
        typeof name !== 'string' ||
        name === ''
      )
        throw new ConfigurationError(
          `input 'failover-manifests': ${file} holds a document without apiVersion, kind and metadata.name`,
        );
      const ns =
        typeof meta['namespace'] === 'string' ? meta['namespace'] : namespace;
      const doc = {
        ...d,
        metadata: { ...meta, namespace: ns },
      } as KubernetesObject;
      out.push({
        apiVersion,
        kind,
        name,
        namespace: ns,
        object: `${kind} ${ns}/${name} in ${context}`,
        doc,
      });
    }
  }
  if (out.length === 0)
    throw new ConfigurationError(
      "input 'failover-manifests' names no Kubernetes object",
    );
  return out;
}

/** A digest of the manifests' content, for the plan's target. */
export function failoverDigest(objs: FailoverObject[]): string {
  return createHash('sha256')
    .update(JSON.stringify(objs.map((o) => o.doc)))
    .digest('hex');
}

function header(o: FailoverObject) {
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: { name: o.name, namespace: o.namespace },
  };
}

/** Each object's live state in the DR cluster (resourceVersion, or absent). */
export async function failoverState(
  kube: Kube,
  objs: FailoverObject[],
): Promise<(StateRef & { exists: boolean })[]> {
  const api = kube.lib.KubernetesObjectApi.makeApiClient(kube.config);
  const out: (StateRef & { exists: boolean })[] = [];
  for (const o of objs) {
    const live = await kube.getOrUndefined(`read ${o.object}`, () =>
      api.read(header(o)),
    );
    out.push(
      live
        ? {
            object: o.object,
            uid: live.metadata?.uid,
            versionKind: 'resourceVersion',
            version: live.metadata?.resourceVersion ?? '',
            exists: true,
          }
        : {
            object: o.object,
            versionKind: 'value',
            version: 'absent',
            exists: false,
          },
    );
  }
  return out;
}

/**
 * Applies each object to the DR cluster (server-side apply, field manager
 * pqc-ops, forced as `kubectl apply --server-side --force-conflicts`), then
 * waits for every Deployment among them to roll out, as `kubectl rollout
 * status` does. Reports each object applied; throws on the first failure.
 */
export async function applyFailover(
  kube: Kube,
  objs: FailoverObject[],
  o: {
    timeoutMs: number;
    now: () => Date;
    sleep: (ms: number) => Promise<void>;
    onApplied: (obj: FailoverObject, existed: boolean) => void;
    onProgress?: (m: string) => void;
  },
): Promise<string[]> {
  const api = kube.lib.KubernetesObjectApi.makeApiClient(kube.config);
  const states = await failoverState(kube, objs);
  for (const [i, obj] of objs.entries()) {
    await kube.call(`apply ${obj.object}`, () =>
      api.patch(
        obj.doc,
        undefined,
        undefined,
        'pqc-ops',
        true,
        kube.lib.PatchStrategy.ServerSideApply,
      ),
    );
    o.onApplied(obj, states[i]?.exists ?? false);
  }
  const rolled: string[] = [];
  for (const obj of objs.filter(
    (x) => x.kind === 'Deployment' && x.apiVersion === 'apps/v1',
  )) {
    const st = await waitForRollout(kube, obj.namespace, obj.name, {
      timeoutMs: o.timeoutMs,
      now: o.now,
      sleep: o.sleep,
      intervalMs: 500,
      onProgress: o.onProgress,
    });
    if (!st.done) throw new Error(`rollout of ${obj.object}: ${st.message}`);
    rolled.push(obj.object);
  }
  return rolled;
}
