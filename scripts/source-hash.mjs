// The sha256 of everything a build is made from (src/ and the lockfile), so
// a test can tell whether dist/ was built from the source it sits beside.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** sha256 over src/** and package-lock.json, in a stable order. */
export function sourceHash(root) {
  const files = [];
  const walk = (d) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else files.push(p);
    }
  };
  walk(join(root, 'src'));
  files.push(join(root, 'package-lock.json'));
  const h = createHash('sha256');
  for (const f of files) {
    h.update(relative(root, f) + '\0');
    h.update(readFileSync(f));
    h.update('\0');
  }
  return h.digest('hex');
}
