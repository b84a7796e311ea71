/** Container filesystems: per-container roots with host /usr, /etc and volumes. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { SimCore } from './core.js';
import type { Obj } from './types.js';

export interface Bind {
  src: string;
  dst: string;
  ro: boolean;
}

let isolation: boolean | undefined;
/** Can we enter a private mount namespace + chroot here (root)? */
export function canIsolate(): boolean {
  if (isolation === undefined) {
    try {
      execFileSync(
        '/usr/bin/unshare',
        ['-m', '--propagation', 'private', '/bin/true'],
        { stdio: 'ignore', timeout: 5000 },
      );
      isolation = true;
    } catch {
      isolation = false;
    }
  }
  return isolation;
}

const HOST_LINKS = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];
/** Host dirs bind-mounted read-only (plus HOST_LINKS when they are real dirs). */
export const HOST_RO = ['usr', 'etc'];

interface Loc {
  dir: string;
  podUid: string;
}

const decode = (s: unknown) => Buffer.from(String(s), 'base64');

export class PodRoots {
  private roots = new Map<string, string>();
  private locations = new Map<string, Loc>();

  constructor(
    private core: SimCore,
    private base: string,
  ) {}

  /** The container's root dir on the host, created on first use. */
  root(pod: Obj, container: string): string {
    const uid = String(pod.metadata.uid);
    const k = `${uid}/${container}`;
    let dir = this.roots.get(k);
    if (dir) return dir;
    dir = path.join(
      this.base,
      'pods',
      String(pod.metadata.namespace),
      `${String(pod.metadata.name)}-${uid.slice(0, 8)}`,
      container,
    );
    fs.mkdirSync(dir, { recursive: true });
    for (const d of [
      ...HOST_RO,
      'dev',
      'proc',
      'root',
      'var',
      'run',
      'home',
      'opt',
    ])
      fs.mkdirSync(path.join(dir, d), { recursive: true });
    fs.mkdirSync(path.join(dir, 'tmp'), { recursive: true, mode: 0o1777 });
    fs.chmodSync(path.join(dir, 'tmp'), 0o1777);
    for (const l of HOST_LINKS) {
      const host = `/${l}`;
      let st: fs.Stats;
      try {
        st = fs.lstatSync(host);
      } catch {
        continue;
      }
      if (st.isSymbolicLink())
        fs.symlinkSync(fs.readlinkSync(host), path.join(dir, l));
      else fs.mkdirSync(path.join(dir, l), { recursive: true });
    }
    this.roots.set(k, dir);
    this.mountsOf(pod, container);
    return dir;
  }

  /** Extra host dirs that must be bind-mounted read-only (real /bin etc.). */
  hostDirs(): string[] {
    return [
      ...HOST_RO,
      ...HOST_LINKS.filter((l) => {
        try {
          return fs.lstatSync(`/${l}`).isDirectory();
        } catch {
          return false;
        }
      }),
    ];
  }

  private materialise(pod: Obj, vol: Obj): string {
    const dir = path.join(
      this.base,
      'volumes',
      String(pod.metadata.uid),
      String(vol.name),
    );
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const ns = pod.metadata.namespace as string;
    const write = (data: Record<string, Buffer>, items?: Obj[]) => {
      const pick = items?.length
        ? items.map((i) => [String(i.key), String(i.path)])
        : Object.keys(data).map((k) => [k, k]);
      for (const [key, p] of pick) {
        if (!data[key]) continue;
        fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
        fs.writeFileSync(path.join(dir, p), data[key]);
      }
    };
    const fromCm = (name: string, items?: Obj[]) => {
      const cm = this.core.store.get(this.core.core('configmaps'), ns, name);
      const data: Record<string, Buffer> = {};
      for (const [k, v] of Object.entries((cm?.data ?? {}) as Obj))
        data[k] = Buffer.from(String(v));
      for (const [k, v] of Object.entries((cm?.binaryData ?? {}) as Obj))
        data[k] = decode(v);
      write(data, items);
    };
    const fromSecret = (name: string, items?: Obj[]) => {
      const s = this.core.store.get(this.core.core('secrets'), ns, name);
      const data: Record<string, Buffer> = {};
      for (const [k, v] of Object.entries((s?.data ?? {}) as Obj))
        data[k] = decode(v);
      write(data, items);
    };
    if (vol.configMap)
      fromCm(String(vol.configMap.name), vol.configMap.items as Obj[]);
    if (vol.secret)
      fromSecret(String(vol.secret.secretName), vol.secret.items as Obj[]);
    for (const src of (vol.projected?.sources ?? []) as Obj[]) {
      if (src.configMap)
        fromCm(String(src.configMap.name), src.configMap.items as Obj[]);
      if (src.secret)
        fromSecret(String(src.secret.name), src.secret.items as Obj[]);
    }
    return dir;
  }

  /** Where an emptyDir/PVC lives; it moves to the newest pod's root. */
  private storage(pod: Obj, key: string, want: string): string {
    const loc = this.locations.get(key);
    const uid = String(pod.metadata.uid);
    if (!loc) {
      fs.mkdirSync(want, { recursive: true });
      this.locations.set(key, { dir: want, podUid: uid });
      return want;
    }
    if (loc.podUid !== uid && loc.dir !== want && !this.podExists(loc.podUid)) {
      fs.mkdirSync(path.dirname(want), { recursive: true });
      fs.rmSync(want, { recursive: true, force: true });
      fs.renameSync(loc.dir, want);
      fs.mkdirSync(loc.dir, { recursive: true });
      this.locations.set(key, { dir: want, podUid: uid });
      return want;
    }
    return loc.dir;
  }

  private podExists(uid: string): boolean {
    return this.core.store
      .scan(this.core.core('pods'))
      .some((p) => p.metadata.uid === uid);
  }

  /** Prepare volumes for one container; returns the bind mounts to make. */
  mountsOf(pod: Obj, container: string): Bind[] {
    const root = this.roots.get(`${String(pod.metadata.uid)}/${container}`);
    if (!root) return [];
    const c = [
      ...((pod.spec?.containers ?? []) as Obj[]),
      ...((pod.spec?.initContainers ?? []) as Obj[]),
    ].find((x) => x.name === container);
    const vols = (pod.spec?.volumes ?? []) as Obj[];
    const binds: Bind[] = [];
    for (const m of (c?.volumeMounts ?? []) as Obj[]) {
      const vol = vols.find((v) => v.name === m.name);
      if (!vol) continue;
      const dst = path.join(root, String(m.mountPath));
      const underHost = this.hostDirs().some((d) =>
        dst.startsWith(path.join(root, d) + '/'),
      );
      const mkdirDst = () => {
        if (!underHost) fs.mkdirSync(dst, { recursive: true });
      };
      const ro = !!m.readOnly;
      let src: string;
      if (vol.hostPath) {
        src = String(vol.hostPath.path);
        if (!fs.existsSync(src)) {
          if (vol.hostPath.type === 'DirectoryOrCreate')
            fs.mkdirSync(src, { recursive: true });
          else continue;
        }
        if (fs.statSync(src).isFile()) {
          if (!underHost) {
            fs.mkdirSync(path.dirname(dst), { recursive: true });
            if (!fs.existsSync(dst)) fs.writeFileSync(dst, '');
          }
        } else mkdirDst();
        binds.push({ src, dst, ro: true });
        continue;
      }
      if (vol.configMap || vol.secret || vol.projected || vol.downwardAPI) {
        src = this.materialise(pod, vol);
        mkdirDst();
        binds.push({ src, dst, ro: true });
        continue;
      }
      const key = vol.persistentVolumeClaim
        ? `pvc/${String(pod.metadata.namespace)}/${String(vol.persistentVolumeClaim.claimName)}`
        : `${String(pod.metadata.uid)}/${String(vol.name)}`;
      const own =
        m.subPath || underHost
          ? path.join(
              path.dirname(root),
              `.volumes-${container}`,
              String(vol.name),
            )
          : dst;
      src = this.storage(pod, key, own);
      if (m.subPath) src = path.join(src, String(m.subPath));
      fs.mkdirSync(src, { recursive: true });
      mkdirDst();
      if (path.resolve(src) !== path.resolve(dst)) binds.push({ src, dst, ro });
    }
    const wd = c?.workingDir as string | undefined;
    if (wd) fs.mkdirSync(path.join(root, wd), { recursive: true });
    return binds;
  }
}
