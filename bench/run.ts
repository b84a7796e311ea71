// Runs the benchmarks: `npm run bench` (all) or `npm run bench -- health`
// (files whose name contains an argument). Each bench/<name>.bench.ts exports
// `run(): Promise<BenchReport>`; every report compares against a baseline
// measured in the same run, and is printed as Markdown for bench/RESULTS.md.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';

/** One measured row: a case and its figures. */
export interface BenchRow {
  case: string;
  [figure: string]: string | number;
}

/** What a benchmark file reports. */
export interface BenchReport {
  title: string;
  command: string;
  rows: BenchRow[];
  notes?: string[];
}

const dir = new URL('.', import.meta.url).pathname;
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();

console.log(`# Benchmarks ${new Date().toISOString()}`);
console.log(
  `Node ${process.version}, ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB\n`,
);
for (const f of files) {
  const mod = (await import(join(dir, f))) as {
    run: () => Promise<BenchReport>;
  };
  const r = await mod.run();
  const heads = [...new Set(r.rows.flatMap((row) => Object.keys(row)))];
  console.log(`## ${r.title}\n\nCommand: \`${r.command}\`\n`);
  console.log(
    `| ${heads.join(' | ')} |\n| ${heads.map(() => '---').join(' | ')} |`,
  );
  for (const row of r.rows)
    console.log(`| ${heads.map((h) => String(row[h] ?? '')).join(' | ')} |`);
  for (const n of r.notes ?? []) console.log(`\n${n}`);
  console.log('');
}
