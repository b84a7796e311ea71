// The process table as /proc shows it, for tests that prove no process
// survives a run (a cancel) or that a secret never reached a command line.
import { readdirSync, readFileSync } from 'node:fs';

/** One process, told apart from a later one with the same pid by its start time. */
export interface Proc {
  pid: number;
  comm: string;
  /** Start time in clock ticks: tells a pid reused by another process apart. */
  start: string;
}

const pids = () =>
  readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);

/** A process from /proc/<pid>/stat; undefined when gone or a zombie. */
export function proc(pid: number): (Proc & { ppid: number }) | undefined {
  let s: string;
  try {
    s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const close = s.lastIndexOf(')');
  const f = s.slice(close + 2).split(' ');
  if (f[0] === 'Z' || f[0] === 'X') return undefined;
  return {
    pid,
    comm: s.slice(s.indexOf('(') + 1, close),
    ppid: Number(f[1]),
    start: f[19] ?? '',
  };
}

/** Every live descendant of `root`. */
export function descendants(root: number): Proc[] {
  const all = pids()
    .map(proc)
    .filter((p) => p !== undefined);
  const out: Proc[] = [];
  const parents = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all) {
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        out.push(p);
        grew = true;
      }
    }
  }
  return out;
}

/** Whether that very process (same pid and start time) still runs. */
export const alive = (p: Proc): boolean => proc(p.pid)?.start === p.start;

/**
 * Command lines (NUL-separated arguments joined by spaces) of every other
 * live process whose command line contains `needle`, each after `pid: `.
 */
export function processesMentioning(needle: string): string[] {
  const out: string[] = [];
  for (const pid of pids()) {
    if (pid === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.includes(needle) && proc(pid))
        out.push(`${pid}: ${cmd.replace(/\0/g, ' ')}`);
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}
