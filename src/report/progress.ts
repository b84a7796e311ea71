/** One report of long work: how far it is, and how far it goes when known. */
export interface ProgressUpdate {
  done: number;
  total?: number;
  unit?: 'bytes' | 'items';
  /** What is still pending, in words ("3 renewals: a, b, c"). */
  note?: string;
}

/** Reports long work under a task name; the sink decides how often it shows. */
export type ProgressFn = (task: string, u: ProgressUpdate) => void;

/** Where progress goes: a terminal line updated in place, or a line per interval. */
export interface ProgressSink {
  /** Updates the line in place (a TTY); else prints a whole line each interval. */
  tty: boolean;
  write: (text: string) => void;
  intervalMs: number;
  now?: () => number;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 1536 -> "1.5 KiB". */
export function formatBytes(n: number): string {
  let v = n;
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${UNITS[i]}`;
}

function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  const m = Math.floor(seconds / 60);
  return m < 60
    ? `${m}m${Math.round(seconds % 60)}s`
    : `${Math.floor(m / 60)}h${m % 60}m`;
}

/** "dump: 120.0 MiB of ~400.0 MiB (30%), 25.3 MiB/s, ETA 11s". */
export function progressLine(
  task: string,
  u: ProgressUpdate,
  elapsedMs: number,
): string {
  const bytes = u.unit === 'bytes';
  const fmt = (n: number) => (bytes ? formatBytes(n) : String(n));
  const parts = [`${task}: ${fmt(u.done)}`];
  if (u.total !== undefined && u.total > 0) {
    parts[0] += ` of ${bytes ? '~' : ''}${fmt(u.total)} (${Math.min(100, Math.floor((u.done / u.total) * 100))}%)`;
  }
  const rate = elapsedMs > 0 ? u.done / (elapsedMs / 1000) : 0;
  if (bytes && rate > 0) {
    parts.push(`${formatBytes(rate)}/s`);
    if (u.total !== undefined && u.total > u.done)
      parts.push(`ETA ${formatEta((u.total - u.done) / rate)}`);
  }
  if (u.note) parts.push(u.note);
  return parts.join(', ');
}

/**
 * A progress function over a sink: on a TTY one line rewritten at most
 * every 200 ms; elsewhere (Actions logs, pipes) one line per interval, never
 * a flood. `end()` finishes a TTY line so later output starts clean.
 */
export function progressReporter(sink: ProgressSink): {
  progress: ProgressFn;
  end: () => void;
} {
  const now = sink.now ?? Date.now;
  const started = new Map<string, number>();
  let lastShown = -Infinity;
  let open = false;
  const every = sink.tty ? 200 : sink.intervalMs;
  return {
    progress(task, u) {
      const t = now();
      if (!started.has(task)) started.set(task, t);
      if (t - lastShown < every) return;
      lastShown = t;
      const line = progressLine(task, u, t - (started.get(task) ?? t));
      if (sink.tty) {
        sink.write(`\r\x1b[K${line}`);
        open = true;
      } else sink.write(`${line}\n`);
    },
    end() {
      if (open) sink.write('\n');
      open = false;
    },
  };
}
