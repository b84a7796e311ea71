// Runs an action bundle in this process (`node bench/peak-rss.mjs dist/backup/index.js`)
// and prints the process's peak RSS afterwards, for the benchmarks.
import { pathToFileURL } from 'node:url';

await import(pathToFileURL(process.argv[2]).href);
process.stderr.write(
  `\npqc-ops-peak-rss-kib ${process.resourceUsage().maxRSS}\n`,
);
