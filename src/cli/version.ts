import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PQC_OPS_VERSION } from '../version.js';

/**
 * `pqc-ops 0.1.0 (source 81293a39a30f, commit 0f23489)`: the version, the
 * digest of the sources the bundle was built from (dist/.pqc-ops-dist), and
 * the commit of the checkout it runs from, when it runs from one.
 */
export function versionText(entry: string | undefined): string {
  const parts: string[] = [];
  const dist = entry ? findDist(entry) : undefined;
  if (dist) {
    try {
      const m = /source-sha256: ([0-9a-f]{64})/.exec(
        readFileSync(join(dist, '.pqc-ops-dist'), 'utf8'),
      );
      if (m?.[1]) parts.push(`source ${m[1].slice(0, 12)}`);
    } catch {
      // not a built dist
    }
    try {
      const head = execFileSync(
        'git',
        ['-C', dist, 'describe', '--always', '--dirty', '--abbrev=12'],
        {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
          timeout: 2000,
        },
      ).trim();
      if (head) parts.push(`commit ${head}`);
    } catch {
      // not a git checkout
    }
  }
  return `pqc-ops ${PQC_OPS_VERSION}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

function findDist(entry: string): string | undefined {
  let dir = dirname(entry);
  for (let i = 0; i < 4; i++) {
    try {
      readFileSync(join(dir, '.pqc-ops-dist'));
      return dir;
    } catch {
      dir = dirname(dir);
    }
  }
  return undefined;
}
