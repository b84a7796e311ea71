// npm run mutation [-- --changed] [-- <entry>...]: Stryker over the
// safety-critical set (mutation/files.mjs), then the per-file break
// threshold: every file must score at least PQC_MUTATION_BREAK (85) percent,
// killed / (killed + survived + no coverage), the mutants listed in
// mutation/EQUIVALENT.md left out. `--changed` mutates only the entries whose
// file differs from origin/main (or main); nothing to do when none does.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SAFETY_CRITICAL, fileOf } from '../mutation/files.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const REPORT = join(root, 'reports/mutation/mutation.json');
const BREAK = Number(process.env['PQC_MUTATION_BREAK'] ?? 85);

function changedFiles() {
  const git = (...a) =>
    execFileSync('git', a, {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  let base;
  for (const ref of ['origin/main', 'main']) {
    try {
      base = git('merge-base', 'HEAD', ref);
      break;
    } catch {
      // try the next
    }
  }
  if (!base) throw new Error('--changed: neither origin/main nor main exists');
  // Committed since the branch left main, plus what is not committed yet.
  return new Set(
    [git('diff', '--name-only', base), git('diff', '--name-only', 'HEAD')]
      .join('\n')
      .split('\n')
      .filter((f) => f !== ''),
  );
}

/**
 * The listed equivalent mutants: `- file:line:col Mutator `replacement`: why`,
 * the position optionally `line:col-endLine:endCol` where two mutants of one
 * kind start at the same place.
 */
export function equivalents() {
  const text = readFileSync(join(root, 'mutation/EQUIVALENT.md'), 'utf8');
  const out = new Set();
  for (const line of text.split('\n')) {
    const m = /^- (\S+):(\d+):(\d+)(-\d+:\d+)? (\w+) `(.*)`: \S/.exec(line);
    if (m) out.add(`${m[1]}:${m[2]}:${m[3]}${m[4] ?? ''} ${m[5]} ${m[6]}`);
  }
  return out;
}

/** Per-file scores from Stryker's JSON report; equivalent mutants excluded. */
export function scores(report, equivalent) {
  const rows = [];
  for (const [file, f] of Object.entries(report.files)) {
    const n = {
      killed: 0,
      survived: 0,
      noCoverage: 0,
      equivalent: 0,
      other: 0,
    };
    for (const m of f.mutants) {
      const { start, end } = m.location;
      const at = `${file}:${start.line}:${start.column}`;
      const what = `${m.mutatorName} ${m.replacement ?? ''}`;
      const listed =
        equivalent.has(`${at} ${what}`) ||
        equivalent.has(`${at}-${end.line}:${end.column} ${what}`);
      if (listed && m.status !== 'Killed') n.equivalent++;
      else if (m.status === 'Killed' || m.status === 'Timeout') n.killed++;
      else if (m.status === 'Survived') n.survived++;
      else if (m.status === 'NoCoverage') n.noCoverage++;
      else n.other++;
    }
    const valid = n.killed + n.survived + n.noCoverage;
    rows.push({
      file,
      ...n,
      score: valid === 0 ? 100 : (100 * n.killed) / valid,
    });
  }
  return rows.sort((a, b) => a.file.localeCompare(b.file));
}

function main() {
  const args = process.argv.slice(2);
  let entries = SAFETY_CRITICAL.map((e) => e.mutate);
  const named = args.filter((a) => !a.startsWith('--'));
  if (named.length > 0)
    entries = entries.filter(
      (e) => named.includes(e) || named.includes(fileOf(e)),
    );
  if (args.includes('--changed')) {
    const changed = changedFiles();
    entries = entries.filter((e) => changed.has(fileOf(e)));
  }
  if (entries.length === 0) {
    console.log('mutation: no safety-critical file to mutate');
    return 0;
  }
  console.log(`mutation: ${entries.join(', ')}`);
  const started = Date.now();
  const r = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules/@stryker-mutator/core/bin/stryker.js'),
      'run',
      'mutation/stryker.config.mjs',
    ],
    {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, PQC_MUTATE: entries.join(',') },
    },
  );
  if (r.status !== 0) return r.status ?? 1;
  const rows = scores(JSON.parse(readFileSync(REPORT, 'utf8')), equivalents());
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  console.log(
    `\nPer-file scores (break ${BREAK}%, equivalent mutants excluded), ${minutes} min:`,
  );
  for (const x of rows)
    console.log(
      `${x.score >= BREAK ? 'ok  ' : 'FAIL'} ${x.score.toFixed(2).padStart(6)}%  ${x.file}  killed ${x.killed}, survived ${x.survived}, no coverage ${x.noCoverage}, equivalent ${x.equivalent}`,
    );
  return rows.some((x) => x.score < BREAK) ? 1 : 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url))
  process.exitCode = main();
