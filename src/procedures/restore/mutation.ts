import { dirname } from 'node:path';
import {
  restoreAppdataFrom,
  restoreDatabaseFrom,
} from '../../archive/restore-steps.js';
import { createBackup, type BackupSources } from '../../archive/create.js';
import { compareCounts } from '../../archive/verify-checks.js';
import { applyConfig } from '../../kube/apply-config.js';
import type { Kube } from '../../kube/client.js';
import { holdLease } from '../../kube/connect.js';
import type { Mutation } from '../../plan/change-control.js';
import type { Plan, PlannedChange } from '../../plan/plan.js';
import type { PgEndpoint } from '../../postgres/endpoint.js';
import { countTablesNow } from '../../postgres/tools.js';
import type { ProcedureContext } from '../../procedure.js';
import type { CommandRunner } from '../../process/runner.js';
import type { ResultBuilder } from '../../report/step-result.js';
import type { Recipients } from '../../archive/age.js';
import { objectState, targetState } from './live-state.js';
import type { VerifiedArchive } from './prepare.js';
import type { RemoteOpener } from '../../archive/archive-reader.js';
import { streamBackup } from '../../archive/stream-create.js';
import type { ArchiveTarget } from '../../archive/target.js';

/** Everything the restore of one archive touches, resolved. */
export interface RestoreTarget {
  archive: VerifiedArchive;
  identities: string[];
  kube?: Kube;
  ep?: PgEndpoint;
  via: 'url' | 'exec';
  app?: CommandRunner;
  appPath: string;
  namespace: string;
  /** Opens the archive when it is an s3:// object. */
  remote?: RemoteOpener;
  safety: {
    dir: string | undefined;
    /** Where the safety backup goes when the archive is in a bucket and no dir is given. */
    target?: ArchiveTarget;
    prefix: string;
    recipients: Recipients | undefined;
    allowPlaintextSecrets: boolean;
  };
  lock: { name: string };
  version: string;
}

type Doc = Record<string, unknown>;

/** A config.yaml document's kind and name, and the object it becomes in `namespace`. */
function docRef(
  d: Doc,
  namespace: string,
): { kind: 'ConfigMap' | 'Secret'; name: string; object: string } {
  const kind = d['kind'] as 'ConfigMap' | 'Secret';
  const name = String((d['metadata'] as { name?: string } | undefined)?.name);
  return { kind, name, object: `${kind} ${namespace}/${name}` };
}

/** The Mutation of a restore: plan what the archive replaces, apply exactly that. */
export function restoreMutation(
  t: RestoreTarget,
  ctx: ProcedureContext,
  rb: ResultBuilder,
  outputs: { 'safety-backup': string },
): Mutation {
  const a = t.archive;
  const docs = a.components.includes('config') ? a.configDocs : [];
  const live = () =>
    targetState({
      ep: t.ep,
      kube: t.kube,
      namespace: t.namespace,
      objects: docs.map((d) => docRef(d, t.namespace)),
      app: t.app,
      appPath: t.appPath,
      archiveTables: a.manifest.database?.tables.length ?? 0,
    });
  return {
    procedure: 'restore',
    target: {
      server: t.kube?.server,
      namespaces: [t.namespace],
      database: t.ep?.database,
      archive: a.path,
      archiveSha256: a.identity,
      components: a.components,
      appdataPath: t.app ? t.appPath : undefined,
    },
    async makePlan() {
      const refs = await live();
      const name = a.path.split('/').pop() ?? '';
      const changes: PlannedChange[] = refs.map((r) => ({
        object: r.object,
        action: r.object.startsWith('database ')
          ? "replace with the archive's dump (pg_restore --clean --if-exists --single-transaction)"
          : r.object.startsWith('path ')
            ? 'extract appdata.tar over it (tar -x)'
            : `${r.note} from config.yaml`,
        reason: `restore from ${name} (${r.note})`,
        undo: 'restore the safety backup taken before apply (output safety-backup)',
      }));
      return { basis: refs.map(({ note: _n, ...r }) => r), changes };
    },
    liveState: async () => (await live()).map(({ note: _n, ...r }) => r),
    async lock() {
      if (!t.kube) {
        rb.check({
          name: 'lock',
          status: 'warning',
          observed: 'no cluster credentials: restored without the Lease',
        });
        return () => Promise.resolve();
      }
      const lease = await holdLease(t.kube, ctx, {
        namespace: t.namespace,
        name: t.lock.name,
      });
      rb.check({
        name: 'lock',
        status: 'ok',
        observed: `holding Lease ${t.namespace}/${t.lock.name}`,
      });
      return lease.release;
    },
    execute: (plan) => executeRestore(t, plan, docs, ctx, rb, outputs),
    verify: (plan) => verifyRestore(t, plan, docs, rb),
  };
}

/** Takes the safety backup, then executes exactly the plan's changes. */
async function executeRestore(
  t: RestoreTarget,
  plan: Plan,
  docs: Doc[],
  ctx: ProcedureContext,
  rb: ResultBuilder,
  outputs: { 'safety-backup': string },
): Promise<void> {
  const planned = new Set(plan.changes.map((c) => c.object));
  const dbObject = t.ep ? `database ${t.ep.database}` : undefined;
  const doDb = dbObject !== undefined && planned.has(dbObject);
  const doDocs = docs.filter((d) => planned.has(docRef(d, t.namespace).object));
  const doApp = plan.changes.some((c) => c.object.startsWith('path '));
  const src: BackupSources = {};
  if (doDb && t.ep) src.database = { endpoint: t.ep, via: t.via };
  if (t.kube && doDocs.length > 0)
    src.config = {
      kube: t.kube,
      namespace: t.namespace,
      selector: t.archive.manifest.source.configSelector || undefined,
    };
  if (doApp && t.app) src.appdata = { runner: t.app, path: t.appPath };
  const settings = {
    prefix: t.safety.prefix,
    recipients: t.safety.recipients,
    allowPlaintextSecrets: t.safety.allowPlaintextSecrets,
    now: ctx.now,
    info: ctx.log.info,
    mask: ctx.maskSecret,
    cluster: t.kube?.server,
    namespace: t.namespace,
    version: t.version,
  };
  const target = t.safety.dir ? undefined : t.safety.target;
  const safety = await ctx.log.group('safety backup', () =>
    target
      ? streamBackup(src, { ...settings, target, compression: 'pg' })
      : createBackup(src, {
          ...settings,
          dir: t.safety.dir || dirname(t.archive.path),
        }),
  );
  outputs['safety-backup'] = safety.archive.path;
  rb.artifacts.push({ ...safety.archive });
  rb.change(
    'took a safety backup',
    safety.archive.path,
    'none needed (delete the file when no longer wanted)',
  );
  const undo = `restore from the safety backup ${safety.archive.path}`;
  const m = t.archive.manifest;
  if (doDb && t.ep) {
    await restoreDatabaseFrom(t.archive.path, t.identities, m, t.ep, t.remote);
    rb.change(
      'restored the database (pg_restore --clean --if-exists --single-transaction)',
      t.ep.describe,
      undo,
    );
  }
  for (const d of doDocs) {
    const what = await applyConfig(t.kube as Kube, t.namespace, d);
    rb.change(what, docRef(d, t.namespace).object, undo);
  }
  if (doApp && t.app) {
    await restoreAppdataFrom(
      t.archive.path,
      t.identities,
      m,
      t.app,
      t.appPath,
      t.remote,
    );
    rb.change('extracted app data', `${t.appPath} in ${t.app.where}`, undo);
  }
}

async function verifyRestore(
  t: RestoreTarget,
  plan: Plan,
  docs: Doc[],
  rb: ResultBuilder,
): Promise<void> {
  const planned = new Set(plan.changes.map((c) => c.object));
  const m = t.archive.manifest;
  if (t.ep && m.database && planned.has(`database ${t.ep.database}`)) {
    const diffs = compareCounts(m.database.tables, await countTablesNow(t.ep));
    rb.check({
      name: 'row counts',
      status: diffs.length === 0 ? 'ok' : 'failed',
      observed:
        diffs.length === 0
          ? `${m.database.tables.length} table(s) match the manifest`
          : diffs.slice(0, 10).join('; '),
    });
  }
  for (const d of docs) {
    const { kind, name, object } = docRef(d, t.namespace);
    if (!planned.has(object) || !t.kube) continue;
    const s = await objectState(t.kube, kind, t.namespace, name);
    rb.check({
      name: `${kind} ${name}`,
      status: s.exists ? 'ok' : 'failed',
      observed: s.exists ? 'present' : 'missing after restore',
    });
  }
}
