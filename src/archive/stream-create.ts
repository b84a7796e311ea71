import { createHash } from 'node:crypto';
import { SnapshotSession } from '../postgres/session.js';
import { forEachChunk, type CommandRunner } from '../process/runner.js';
import { collectAll, garbageCollector } from '../process/memory.js';
import { lastError, tail } from '../process/output.js';
import { createChunkSealer } from './age.js';
import type { ConfigSnapshot } from './config.js';
import {
  collectCheckedConfig,
  componentOf,
  newManifest,
  type BackupOutcome,
  type BackupSettings,
  type BackupSources,
} from './create.js';
import {
  FORMAT_VERSION,
  MEMBERS,
  manifestSha256,
  sealText,
  type Manifest,
  type MemberRecord,
} from './manifest.js';
import { archiveName, type Compression } from './naming.js';
import { PartWriter, type Hole } from './part-writer.js';
import type { ArchiveTarget, ArchiveUpload } from './target.js';
import {
  BLOCK,
  STREAMED_HEADER_SIZE,
  endOfArchive,
  entryHeader,
  padding,
  streamedEntryHeader,
} from './tar.js';

/** Settings of a streamed backup. */
export interface StreamSettings extends Omit<BackupSettings, 'dir'> {
  target: ArchiveTarget;
  compression: Compression;
}

const MAX_NUMBER = Number.MAX_SAFE_INTEGER;

/**
 * Writes the archive in one pass, nothing spooled: pg_dump's output (and the
 * app data's tar) streams through the PartWriter (zstd, age) to the target
 * while it is hashed. The manifest, first in the archive, and the header of
 * each streamed member are holes filled at the end; the archive appears under
 * its name only once it is complete and read back. On any failure or cancel
 * the target discards everything.
 */
export async function streamBackup(
  src: BackupSources,
  s: StreamSettings,
): Promise<BackupOutcome> {
  const startedAt = s.now();
  const zstd = s.compression === 'zstd';
  const name = archiveName(
    s.prefix,
    startedAt,
    s.recipients !== undefined,
    s.compression,
  );
  await s.target.assertNameFree(s.prefix, startedAt);
  let config: ConfigSnapshot | undefined;
  if (src.config) config = await collectCheckedConfig(src.config, s);
  const manifest = newManifest(s, startedAt);
  const db = src.database
    ? await SnapshotSession.open(src.database.endpoint)
    : undefined;
  let upload: ArchiveUpload | undefined;
  let w: PartWriter | undefined;
  try {
    describeSources(manifest, src, db, config, s);
    const tableNames = db ? await db.session.listTables() : [];
    const reserved = manifestReservation(manifest, src, tableNames);
    upload = await s.target.begin(name);
    const sealer = s.recipients
      ? await createChunkSealer(s.recipients)
      : undefined;
    w = new PartWriter({
      sink: upload.sink,
      layout: upload.layout,
      zstd,
      sealer,
    });
    await writeStream(w, src, s, {
      manifest,
      reserved,
      db,
      config,
      mtime: Math.floor(startedAt.getTime() / 1000),
    });
    const { parts, size } = await w.end();
    collectAll();
    s.info(
      `archive: ${size} bytes in ${parts.length} part(s), ${w.plaintext} bytes of tar; reading it back`,
    );
    const archive = await upload.commit(parts, size);
    return { archive, manifest, config };
  } catch (e) {
    await w?.settle();
    const warning = await upload?.abort();
    if (warning) s.info(warning);
    throw e;
  } finally {
    db?.session.kill();
  }
}

/** What writeStream needs besides the writer and the sources. */
interface StreamState {
  manifest: Manifest;
  reserved: number;
  db: Awaited<ReturnType<typeof SnapshotSession.open>> | undefined;
  config: ConfigSnapshot | undefined;
  mtime: number;
}

/** The archive's members in order, the manifest filled in last. */
async function writeStream(
  w: PartWriter,
  src: BackupSources,
  s: StreamSettings,
  { manifest, reserved, db, config, mtime }: StreamState,
): Promise<void> {
  const zstd = s.compression === 'zstd';
  const manifestHole = await w.hole(
    BLOCK + reserved + padding(reserved).length,
  );
  const members: MemberRecord[] = [];
  if (src.database && db) {
    const ep = src.database.endpoint;
    s.info(
      `database: dumping ${db.database} (PostgreSQL ${db.serverVersion}) in snapshot ${db.snapshot}${zstd ? ', compressed with zstd' : ''}`,
    );
    const argv = ['pg_dump', '-Fc', ...(zstd ? ['-Z0'] : [])];
    argv.push(`--snapshot=${db.snapshot}`, ...ep.connArgs());
    const [dump, tables] = await allOrThrow(
      streamCommand(w, ep.runner, argv, ep.env, MEMBERS.database, mtime),
      db.session.countTables(),
    );
    await db.session.close();
    members.push(record(MEMBERS.database, dump));
    manifest.database = {
      member: MEMBERS.database,
      format: 'pg_dump custom (-Fc)',
      snapshot: db.snapshot,
      tables,
    };
    s.info(`database: ${dump.size} bytes, ${tables.length} table(s)`);
  }
  if (config) {
    await writeMember(w, MEMBERS.config, config.yaml, mtime);
    members.push(
      record(MEMBERS.config, {
        size: config.yaml.length,
        sha256: config.sha256,
      }),
    );
  }
  if (src.appdata) {
    const a = await streamCommand(
      w,
      src.appdata.runner,
      ['tar', '-C', src.appdata.path, '-cf', '-', '.'],
      {},
      MEMBERS.appdata,
      mtime,
    );
    members.push(record(MEMBERS.appdata, a));
    s.info(
      `appdata: ${a.size} bytes from ${src.appdata.path} in ${src.appdata.runner.where}`,
    );
  }
  manifest.members = members;
  manifest.endedAt = s.now().toISOString();
  const json = paddedManifest(manifest, reserved);
  await w.fill(
    manifestHole,
    Buffer.concat([
      entryHeader({ name: MEMBERS.manifest, size: json.length, mtime }),
      json,
      padding(json.length),
    ]),
  );
  await writeMember(w, MEMBERS.seal, sealText(manifestSha256(json)), mtime);
  await w.write(endOfArchive());
}

/** What the manifest says about the sources, known before the dump. */
function describeSources(
  manifest: Manifest,
  src: BackupSources,
  db: Awaited<ReturnType<typeof SnapshotSession.open>> | undefined,
  config: ConfigSnapshot | undefined,
  s: StreamSettings,
): void {
  if (src.database && db)
    manifest.source.database = {
      name: db.database,
      serverVersion: db.serverVersion,
      via: src.database.via,
    };
  if (config) {
    manifest.source.configSelector = src.config?.selector ?? '';
    manifest.config = {
      configMaps: config.configMaps,
      secrets: config.secrets,
    };
  }
  if (src.appdata)
    manifest.source.appdata = {
      pod: src.appdata.runner.pod ?? '',
      container: src.appdata.runner.container ?? '',
      path: src.appdata.path,
    };
  if (s.recipients) manifest.encryption = { recipients: s.recipients.kind };
}

function record(
  name: string,
  h: { size: number; sha256: string },
): MemberRecord {
  return { name, component: componentOf(name), ...h };
}

/** Both results, or the first failure once both have settled. */
async function allOrThrow<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === 'rejected') throw x.reason;
  if (y.status === 'rejected') throw y.reason;
  return [x.value, y.value];
}

/** A member held in memory: header, data, padding. */
async function writeMember(
  w: PartWriter,
  name: string,
  data: Buffer,
  mtime: number,
): Promise<void> {
  await w.write(entryHeader({ name, size: data.length, mtime }));
  await w.write(data);
  await w.write(padding(data.length));
}

/**
 * Streams a command's stdout into the archive as member `name`: its header
 * is a hole filled once the size is known. The command is killed when the
 * archive cannot take more.
 */
async function streamCommand(
  w: PartWriter,
  runner: CommandRunner,
  argv: string[],
  env: Record<string, string>,
  name: string,
  mtime: number,
): Promise<{ size: number; sha256: string }> {
  const tool = argv[0] ?? '?';
  const header: Hole = await w.hole(STREAMED_HEADER_SIZE);
  const cmd = await runner.start(argv, { env, reuseReads: true });
  cmd.stdin.end();
  const err = tail(cmd.stderr);
  const h = createHash('sha256');
  const collected = garbageCollector();
  let size = 0;
  try {
    await forEachChunk(cmd, async (c) => {
      h.update(c);
      size += c.length;
      await w.write(c);
      collected(c.length);
    });
  } catch (e) {
    cmd.kill();
    await cmd.done.catch(() => undefined);
    throw e;
  }
  const code = await cmd.done;
  if (code !== 0)
    throw new Error(
      `${tool} on ${runner.where} failed (exit ${code}): ${lastError(err())}`,
    );
  if (size === 0)
    throw new Error(`${tool} on ${runner.where} produced no output`);
  await w.fill(header, streamedEntryHeader({ name, size, mtime }));
  await w.write(padding(size));
  return { size, sha256: h.digest('hex') };
}

/**
 * The manifest's size, fixed before anything is written: its JSON with the
 * widest values every unknown can take (sizes, checksums, row counts, the end
 * time), so the real one always fits; paddedManifest() fills the rest with
 * spaces, which JSON ignores.
 */
function manifestReservation(
  base: Manifest,
  src: BackupSources,
  tables: { schema: string; table: string }[],
): number {
  const widest = (name: string): MemberRecord => ({
    name,
    component: componentOf(name),
    size: MAX_NUMBER,
    sha256: 'f'.repeat(64),
  });
  const m: Manifest = {
    ...base,
    formatVersion: FORMAT_VERSION,
    endedAt: new Date(253402300799999).toISOString(),
    members: [
      ...(src.database ? [widest(MEMBERS.database)] : []),
      ...(src.config ? [widest(MEMBERS.config)] : []),
      ...(src.appdata ? [widest(MEMBERS.appdata)] : []),
    ],
  };
  if (src.database)
    m.database = {
      member: MEMBERS.database,
      format: 'pg_dump custom (-Fc)',
      snapshot: 'f'.repeat(64),
      tables: tables.map((t) => ({ ...t, rows: MAX_NUMBER })),
    };
  // A little room for what no bound covers above.
  return Buffer.byteLength(JSON.stringify(m, null, 2)) + 256;
}

/** The manifest's JSON, padded with spaces to exactly `size` bytes. */
function paddedManifest(m: Manifest, size: number): Buffer {
  const json = Buffer.from(JSON.stringify(m, null, 2) + '\n', 'utf8');
  if (json.length > size)
    throw new Error(
      `the manifest (${json.length} bytes) outgrew the ${size} bytes reserved for it`,
    );
  return Buffer.concat([json, Buffer.alloc(size - json.length, ' ')]);
}
