import { formatBytes } from '../../kube/quantity.js';
import type { TupleStats, VacuumOutcome } from '../../postgres/vacuum.js';
import { table } from '../../report/markdown.js';
import type { Check } from '../../report/step-result.js';
import type { HousekeepingState } from './state.js';

/** Totals of an apply, for the check, the metrics and the outputs. */
export interface Totals {
  compressed: number;
  deleted: number;
  skipped: number;
  failed: number;
  bytesFreed: number;
}

export function totals(s: HousekeepingState): Totals {
  const done = s.outcomes.filter((x) => x.status === 'done');
  return {
    compressed: done.filter((x) => x.op === 'gzip').length,
    deleted: done.filter((x) => x.op === 'delete').length,
    skipped: s.outcomes.filter((x) => x.status === 'skipped').length,
    failed: s.outcomes.filter((x) => x.status === 'failed').length,
    bytesFreed: done.reduce(
      (n, x) => n + (x.op === 'gzip' ? x.size - (x.gzSize ?? x.size) : x.size),
      0,
    ),
  };
}

/** One check per pod the plan looked at. */
export function podChecks(s: HousekeepingState): Check[] {
  if (s.noPods)
    return [{ name: 'pods', status: 'warning', observed: s.noPods }];
  return s.pods.map((p) => {
    if (p.error)
      return {
        name: `pod ${p.pod}`,
        status: 'failed',
        observed: p.error,
        detail: `container ${p.container}: nothing read or changed in this pod`,
      };
    const gz = p.actions.filter((a) => a.op === 'gzip');
    const del = p.actions.filter((a) => a.op === 'delete');
    const bytes = (xs: { size: number }[]) =>
      formatBytes(xs.reduce((n, a) => n + a.size, 0));
    const absent = p.roots.filter((r) => r.found === 'absent');
    const unreadable = p.roots.flatMap((r) => r.problems);
    return {
      name: `pod ${p.pod}`,
      status: unreadable.length > 0 ? 'warning' : 'ok',
      observed: `${gz.length} to compress (${bytes(gz)}), ${del.length} to delete (${bytes(del)})${p.notes.length ? `, ${p.notes.length} left alone` : ''}${absent.length ? `; no ${absent.map((r) => r.path).join(', ')}` : ''}`,
      threshold: p.tools,
      ...(unreadable.length
        ? { detail: `find: ${unreadable.slice(0, 3).join('; ')}` }
        : {}),
    };
  });
}

/** The check of an apply's files. */
export function filesCheck(s: HousekeepingState, t: Totals): Check {
  const failed = s.outcomes.filter((x) => x.status === 'failed');
  const skipped = s.outcomes.filter((x) => x.status === 'skipped');
  const first = failed[0] ?? skipped[0];
  return {
    name: 'files',
    status: failed.length ? 'failed' : skipped.length ? 'warning' : 'ok',
    observed: `${t.compressed} compressed, ${t.deleted} deleted, ${formatBytes(t.bytesFreed)} freed${t.skipped ? `; ${t.skipped} skipped` : ''}${t.failed ? `; ${t.failed} failed` : ''}`,
    ...(first
      ? { detail: `${first.pod}:${first.path}: ${first.why ?? first.status}` }
      : {}),
  };
}

/** Every planned file and how it ended (or, in plan mode, what is planned). */
export function filesTable(s: HousekeepingState): string | undefined {
  const rows = s.outcomes.map((x) => [
    x.pod,
    `\`${x.path}\``,
    x.op,
    String(x.size),
    x.gzSize !== undefined ? String(x.gzSize) : '',
    x.status,
    x.why ?? '',
  ]);
  const notes = s.pods.flatMap((p) =>
    p.notes.map((n) => [
      p.pod,
      `\`${n.path}\``,
      'none',
      '',
      '',
      'left alone',
      n.why,
    ]),
  );
  const all = [...rows, ...notes];
  if (all.length === 0) return undefined;
  return [
    `#### Files (${all.length})`,
    '',
    table(
      ['Pod', 'Path', 'Action', 'Bytes', '.gz bytes', 'Outcome', 'Why'],
      all,
    ),
  ].join('\n');
}

/** Dead tuples per table: planned (before only) or before and after a VACUUM. */
export function vacuumTable(
  plan: TupleStats | undefined,
  v: VacuumOutcome | undefined,
): string | undefined {
  if (v) {
    const after = new Map(
      v.after.tables.map((t) => [`${t.schema}.${t.table}`, t]),
    );
    const rows = v.before.tables.map((t) => {
      const a = after.get(`${t.schema}.${t.table}`);
      return [
        `${t.schema}.${t.table}`,
        String(t.dead),
        String(a?.dead ?? ''),
        String(a?.live ?? t.live),
      ];
    });
    return [
      `#### VACUUM (ANALYZE): ${(v.ms / 1000).toFixed(2)} s, PostgreSQL ${v.before.serverVersion}`,
      '',
      rows.length
        ? table(['Table', 'Dead before', 'Dead after', 'Live'], rows)
        : 'No user tables.',
    ].join('\n');
  }
  if (!plan) return undefined;
  const rows = plan.tables.map((t) => [
    `${t.schema}.${t.table}`,
    String(t.dead),
    String(t.live),
  ]);
  return [
    `#### Dead tuples (PostgreSQL ${plan.serverVersion})`,
    '',
    rows.length ? table(['Table', 'Dead', 'Live'], rows) : 'No user tables.',
  ].join('\n');
}

/** The vacuum check, whatever happened to it. */
export function vacuumCheck(
  s: HousekeepingState,
  applied: boolean,
): Check | undefined {
  if (s.vacuumSkipped)
    return { name: 'vacuum', status: 'skipped', observed: s.vacuumSkipped };
  if (s.vacuumError)
    return { name: 'vacuum', status: 'failed', observed: s.vacuumError };
  const dead = (st: TupleStats) => st.tables.reduce((n, t) => n + t.dead, 0);
  if (s.vacuum)
    return {
      name: 'vacuum',
      status: s.vacuum.warnings.length ? 'warning' : 'ok',
      observed: `dead tuples ${dead(s.vacuum.before)} -> ${dead(s.vacuum.after)} in ${s.vacuum.before.tables.length} table(s), ${(s.vacuum.ms / 1000).toFixed(2)} s`,
      threshold: 'VACUUM (ANALYZE), never FULL',
      ...(s.vacuum.warnings.length
        ? { detail: s.vacuum.warnings.slice(0, 3).join(' / ') }
        : {}),
    };
  if (s.vacuumPlan && !applied)
    return {
      name: 'vacuum',
      status: 'ok',
      observed: `${dead(s.vacuumPlan)} dead tuple(s) in ${s.vacuumPlan.tables.length} table(s): VACUUM (ANALYZE) planned`,
    };
  return undefined;
}
