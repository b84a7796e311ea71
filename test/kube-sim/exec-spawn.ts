/** Spawning a command inside a container root. */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { canIsolate, type PodRoots } from './pod-root.js';
import type { Obj } from './types.js';

const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function spawnIn(
  roots: PodRoots,
  pod: Obj,
  cname: string,
  c: Obj,
  argv: string[],
  env: Record<string, string>,
): ChildProcess {
  const root = roots.root(pod, cname);
  const binds = roots.mountsOf(pod, cname);
  const wd = String(c.workingDir ?? '/');
  if (!canIsolate())
    return spawn(argv[0], argv.slice(1), {
      cwd: root,
      env,
      detached: true,
      stdio: 'pipe',
    });
  const lines = ['set -e', `R=${sq(root)}`];
  for (const d of roots.hostDirs()) {
    const ro = [
      `mount --bind /${d} "$R/${d}"`,
      `mount -o remount,bind,ro "$R/${d}"`,
    ];
    if (!binds.some((b) => b.dst.startsWith(path.join(root, d) + '/'))) {
      lines.push(...ro);
      continue;
    }
    // A volume mounted below a host dir (e.g. /etc/app): copy-on-write overlay.
    const ov = path.join(path.dirname(root), `.overlay-${cname}`, d);
    fs.mkdirSync(path.join(ov, 'up'), { recursive: true });
    fs.mkdirSync(path.join(ov, 'work'), { recursive: true });
    lines.push(
      `mount -t overlay overlay -o lowerdir=/${d},upperdir=${sq(path.join(ov, 'up'))},workdir=${sq(path.join(ov, 'work'))} "$R/${d}" || { ${ro.join('; ')}; }`,
    );
  }
  lines.push(
    'mount --rbind /dev "$R/dev"',
    'mount -t proc proc "$R/proc" 2>/dev/null || mount --rbind /proc "$R/proc"',
  );
  for (const b of binds) {
    lines.push(`[ -e ${sq(b.dst)} ] || mkdir -p ${sq(b.dst)}`);
    lines.push(`mount --bind ${sq(b.src)} ${sq(b.dst)}`);
    if (b.ro) lines.push(`mount -o remount,bind,ro ${sq(b.dst)}`);
  }
  lines.push(`exec /usr/sbin/chroot "$R" /usr/bin/env -C ${sq(wd)} -- "$@"`);
  return spawn(
    '/usr/bin/unshare',
    [
      '-m',
      '--propagation',
      'private',
      '--',
      '/bin/sh',
      '-c',
      lines.join('\n'),
      'sh',
      ...argv,
    ],
    {
      env,
      detached: true,
      stdio: 'pipe',
    },
  );
}

export function exitStatus(code: number): Obj {
  if (code === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: command terminated with exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

/** Handle an HTTP upgrade (only pods/exec is upgradable). */
