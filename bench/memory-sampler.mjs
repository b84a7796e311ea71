// Where a bundle's memory goes: load it with
//   NODE_OPTIONS="--import ./bench/memory-sampler.mjs" node dist/backup/index.js
// (inputs as INPUT_* variables, as the runner sets them). Every 20 ms it
// samples process.memoryUsage() and /proc/self/status, and at exit prints
// the maximum of each on stderr in MiB: rss, RssAnon (heap, buffers, malloc)
// and RssFile (the node binary's and libraries' pages), heapTotal/heapUsed
// (V8's heap), arrayBuffers (the memory of Buffers). The figures of the
// backup memory notes in bench/RESULTS.md come from it.
import { readFileSync } from 'node:fs';

const max = {
  rss: 0,
  RssAnon: 0,
  RssFile: 0,
  heapTotal: 0,
  heapUsed: 0,
  arrayBuffers: 0,
};
function sample() {
  const m = { ...process.memoryUsage() };
  try {
    const st = readFileSync('/proc/self/status', 'utf8');
    for (const k of ['RssAnon', 'RssFile'])
      m[k] = Number(new RegExp(`${k}:\\s+(\\d+)`).exec(st)?.[1] ?? 0) * 1024;
  } catch {
    // not Linux
  }
  for (const k of Object.keys(max)) if ((m[k] ?? 0) > max[k]) max[k] = m[k];
}
setInterval(sample, 20).unref();
sample();
process.on('exit', () => {
  sample();
  const mib = Object.entries(max).map(
    ([k, v]) => `${k} ${(v / 1048576).toFixed(1)}`,
  );
  process.stderr.write(`\npqc-ops-memory-mib ${mib.join(' ')}\n`);
});
