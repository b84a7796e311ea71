import { parseAllDocuments } from 'yaml';
import type { Check } from '../report/step-result.js';
import { tableName, type TableCount } from './manifest.js';
import { manifestTimeProblem, parseAnyArchiveName } from './naming.js';

/** Parses config.yaml: every document a ConfigMap or Secret with a name. */
export function parseConfigYaml(text: string): Record<string, unknown>[] {
  const docs = parseAllDocuments(text);
  const out: Record<string, unknown>[] = [];
  for (const d of Array.isArray(docs) ? docs : [docs]) {
    if (d.errors.length > 0)
      throw new Error(
        `config.yaml does not parse: ${d.errors[0]?.message ?? ''}`,
      );
    const o = d.toJSON() as Record<string, unknown> | null;
    if (o === null) continue;
    const kind = o['kind'];
    const name = (o['metadata'] as { name?: unknown } | undefined)?.name;
    if (
      o['apiVersion'] !== 'v1' ||
      (kind !== 'ConfigMap' && kind !== 'Secret') ||
      typeof name !== 'string'
    ) {
      throw new Error(
        'config.yaml holds a document that is not a named v1 ConfigMap or Secret',
      );
    }
    out.push(o);
  }
  return out;
}

/**
 * The check `archive time`: the manifest's time against the time in the
 * archive's file name (any prefix); a warning when the name carries none.
 */
export function archiveTimeCheck(
  fileName: string,
  manifest: { startedAt?: string; endedAt?: string },
  now?: Date,
): Check {
  const parsed = parseAnyArchiveName(fileName);
  if (!parsed)
    return {
      name: 'archive time',
      status: 'warning',
      observed: `${fileName} is not named <prefix>_YYYYmmdd_HHMMSS.tar[.zst][.age]: the manifest's time (${String(manifest.endedAt)}) is not cross-checked`,
    };
  const problem = manifestTimeProblem(parsed.at, manifest, now);
  return problem
    ? { name: 'archive time', status: 'failed', observed: problem }
    : {
        name: 'archive time',
        status: 'ok',
        observed: `manifest time ${String(manifest.endedAt)} matches the name's ${parsed.at.toISOString()}`,
      };
}

/** Compares row counts with the manifest: one line per difference. */
export function compareCounts(
  expected: TableCount[],
  actual: TableCount[],
): string[] {
  const got = new Map(actual.map((t) => [tableName(t), t.rows]));
  const diffs: string[] = [];
  for (const t of expected) {
    const n = got.get(tableName(t));
    if (n === undefined) diffs.push(`${tableName(t)} is missing`);
    else if (n !== t.rows)
      diffs.push(`${tableName(t)}: ${n} rows, manifest ${t.rows}`);
  }
  const known = new Set(expected.map(tableName));
  for (const t of actual)
    if (!known.has(tableName(t)))
      diffs.push(`${tableName(t)} is not in the manifest`);
  return diffs;
}
