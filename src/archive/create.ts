import type { ProgressUpdate } from '../report/progress.js';
import { watchGrowth } from '../process/growth.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { RefusedError } from '../errors.js';
import type { Kube } from '../kube/client.js';
import type { PgEndpoint } from '../postgres/endpoint.js';
import { SnapshotSession } from '../postgres/session.js';
import { dumpToFile } from '../postgres/tools.js';
import type { CommandRunner } from '../process/runner.js';
import type { Recipients } from './age.js';
import {
  writeArchive,
  type MemberSource,
  type WrittenArchive,
} from './archive-writer.js';
import { collectConfig, type ConfigSnapshot } from './config.js';
import {
  FORMAT_NAME,
  FORMAT_VERSION,
  MEMBERS,
  manifestSha256,
  type Manifest,
} from './manifest.js';
import { archiveName, assertNameFree } from './naming.js';
import { spoolDirPrefix } from './retention.js';
import { spoolCommand } from '../process/spool.js';

/** Where each component comes from. */
export interface BackupSources {
  database?: { endpoint: PgEndpoint; via: 'url' | 'exec' };
  config?: { kube: Kube; namespace: string; selector?: string };
  appdata?: {
    runner: CommandRunner & { pod?: string; container?: string };
    path: string;
  };
}

/** The run's settings. */
export interface BackupSettings {
  dir: string;
  prefix: string;
  recipients?: Recipients;
  allowPlaintextSecrets: boolean;
  now: () => Date;
  info: (m: string) => void;
  mask: (s: string) => void;
  cluster?: string;
  namespace?: string;
  version: string;
  /** Progress of the dump: bytes written, against the database's size. */
  progress?: (task: string, u: ProgressUpdate) => void;
}

/** What a finished backup produced. */
export interface BackupOutcome {
  archive: WrittenArchive;
  manifest: Manifest;
  config?: ConfigSnapshot;
}

/**
 * Collects config (in memory), the dump and the app data (spooled to a private
 * directory on the destination's filesystem), writes the manifest first and
 * the archive atomically. The spool is removed whatever happens.
 */
export async function createBackup(
  src: BackupSources,
  s: BackupSettings,
): Promise<BackupOutcome> {
  const startedAt = s.now();
  const name = archiveName(s.prefix, startedAt, s.recipients !== undefined);
  // Before anything is collected or dumped: a name already taken would only
  // fail at the final link, after the whole dump.
  await assertNameFree(s.dir, s.prefix, startedAt);
  let config: ConfigSnapshot | undefined;
  if (src.config) config = await collectCheckedConfig(src.config, s);
  // Named after the prefix, so the next run of it removes what a killed run
  // left (staleSpools in retention.ts).
  const spool = await mkdtemp(join(s.dir, spoolDirPrefix(s.prefix)));
  try {
    const members: MemberSource[] = [];
    const manifest = newManifest(s, startedAt);
    if (src.database) {
      await dumpDatabase(src.database, spool, s, members, manifest);
    }
    if (config) {
      addConfigMember(config, src.config?.selector, members, manifest);
    }
    if (src.appdata) {
      await spoolAppdata(src.appdata, spool, s, members, manifest);
    }
    if (s.recipients) manifest.encryption = { recipients: s.recipients.kind };
    const archive = await sealAndWrite(members, manifest, name, startedAt, s);
    return { archive, manifest, config };
  } finally {
    await rm(spool, { recursive: true, force: true });
  }
}

/** Collects the config and refuses Secrets that would be written unencrypted. */
export async function collectCheckedConfig(
  cfg: NonNullable<BackupSources['config']>,
  s: Omit<BackupSettings, 'dir'>,
): Promise<ConfigSnapshot> {
  const config = await collectConfig(
    cfg.kube,
    cfg.namespace,
    cfg.selector,
    s.mask,
  );
  s.info(
    `config: ${config.configMaps.length} ConfigMap(s), ${config.secrets.length} Secret(s)`,
  );
  if (config.secrets.length > 0 && !s.recipients && !s.allowPlaintextSecrets) {
    throw new RefusedError(
      `the configuration holds ${config.secrets.length} Secret(s) and no age recipient is set: Secrets are never written unencrypted. Set 'age-recipients', or 'allow-plaintext-secrets: true' to accept a plaintext archive`,
    );
  }
  return config;
}

/** The manifest as far as it is known when the run starts. */
export function newManifest(
  s: Omit<BackupSettings, 'dir'>,
  startedAt: Date,
): Manifest {
  return {
    format: FORMAT_NAME,
    formatVersion: FORMAT_VERSION,
    createdBy: `pqc-ops ${s.version}`,
    startedAt: startedAt.toISOString(),
    endedAt: '',
    source: { cluster: s.cluster, namespace: s.namespace },
    members: [],
  };
}

/** Dumps the database in one snapshot into the spool. */
async function dumpDatabase(
  db: NonNullable<BackupSources['database']>,
  spool: string,
  s: BackupSettings,
  members: MemberSource[],
  manifest: Manifest,
): Promise<void> {
  const ep = db.endpoint;
  const { session, snapshot, database, serverVersion } =
    await SnapshotSession.open(ep);
  try {
    s.info(
      `database: dumping ${database} (PostgreSQL ${serverVersion}) in snapshot ${snapshot}`,
    );
    const path = join(spool, MEMBERS.database);
    const size = Number(
      (await session.run('SELECT pg_database_size(current_database());'))[0],
    );
    const [dump, tables] = await Promise.all([
      watchGrowth(
        path,
        (done) =>
          s.progress?.('dump', {
            done,
            ...(size > 0 ? { total: size } : {}),
            unit: 'bytes',
          }),
        dumpToFile(ep, snapshot, path),
      ),
      session.countTables(),
    ]);
    await session.close();
    members.push({ name: MEMBERS.database, path, ...dump });
    manifest.source.database = {
      name: database,
      serverVersion,
      via: db.via,
    };
    manifest.database = {
      member: MEMBERS.database,
      format: 'pg_dump custom (-Fc)',
      snapshot,
      tables,
    };
    s.info(`database: ${dump.size} bytes, ${tables.length} table(s)`);
  } finally {
    session.kill();
  }
}

function addConfigMember(
  config: ConfigSnapshot,
  selector: string | undefined,
  members: MemberSource[],
  manifest: Manifest,
): void {
  members.push({
    name: MEMBERS.config,
    data: config.yaml,
    size: config.yaml.length,
    sha256: config.sha256,
  });
  manifest.source.configSelector = selector ?? '';
  manifest.config = {
    configMaps: config.configMaps,
    secrets: config.secrets,
  };
}

/** Streams a tar of the app data path into the spool. */
async function spoolAppdata(
  appdata: NonNullable<BackupSources['appdata']>,
  spool: string,
  s: BackupSettings,
  members: MemberSource[],
  manifest: Manifest,
): Promise<void> {
  const path = join(spool, MEMBERS.appdata);
  const a = await spoolCommand(
    appdata.runner,
    ['tar', '-C', appdata.path, '-cf', '-', '.'],
    path,
  );
  members.push({ name: MEMBERS.appdata, path, ...a });
  manifest.source.appdata = {
    pod: appdata.runner.pod ?? '',
    container: appdata.runner.container ?? '',
    path: appdata.path,
  };
  s.info(
    `appdata: ${a.size} bytes from ${appdata.path} in ${appdata.runner.where}`,
  );
}

/** Completes the manifest and writes it first, then the members. */
async function sealAndWrite(
  members: MemberSource[],
  manifest: Manifest,
  name: string,
  startedAt: Date,
  s: BackupSettings,
): Promise<WrittenArchive> {
  manifest.members = members.map((m) => ({
    name: m.name,
    component: componentOf(m.name),
    size: m.size,
    sha256: m.sha256,
  }));
  manifest.endedAt = s.now().toISOString();
  const json = Buffer.from(JSON.stringify(manifest, null, 2) + '\n', 'utf8');
  const all: MemberSource[] = [
    {
      name: MEMBERS.manifest,
      data: json,
      size: json.length,
      sha256: manifestSha256(json),
    },
    ...members,
  ];
  return writeArchive({
    dir: s.dir,
    name,
    members: all,
    recipients: s.recipients,
    mtime: startedAt,
  });
}

/** The component a member name belongs to. */
export function componentOf(name: string): 'database' | 'config' | 'appdata' {
  return name === MEMBERS.database
    ? 'database'
    : name === MEMBERS.config
      ? 'config'
      : 'appdata';
}
