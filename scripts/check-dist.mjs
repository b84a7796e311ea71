// Rebuilds dist/ and fails when it differs from what is committed, including
// new untracked bundles that `git diff` would miss; then checks that every
// action.yml runs the same Node and points at an entry that exists, and that
// dist/ carries the licence texts of what it bundles.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('..', import.meta.url));
execFileSync(process.execPath, ['scripts/build.mjs'], {
  cwd: root,
  stdio: 'inherit',
});
const problems = [];
const status = execFileSync('git', ['status', '--porcelain', '--', 'dist/'], {
  cwd: root,
  encoding: 'utf8',
});
if (status.trim() !== '')
  problems.push(
    'dist/ does not match the source; run `npm run build` and commit dist/:\n' +
      status,
  );

const using = new Map();
for (const name of readdirSync(join(root, 'actions'))) {
  const file = join(root, 'actions', name, 'action.yml');
  if (!existsSync(file)) continue;
  const runs = parse(readFileSync(file, 'utf8'))?.runs ?? {};
  using.set(name, runs.using);
  const main = resolve(root, 'actions', name, String(runs.main));
  if (!existsSync(main))
    problems.push(
      `actions/${name}/action.yml: runs.main ${runs.main} has no file behind it`,
    );
}
if (new Set(using.values()).size > 1)
  problems.push(
    'the action.yml files disagree on runs.using: ' +
      [...using].map(([n, u]) => `${n}: ${u}`).join(', '),
  );
const licenses = join(root, 'dist', 'lib', 'licenses.txt');
if (
  !existsSync(licenses) ||
  !/@kubernetes\/client-node /.test(readFileSync(licenses, 'utf8'))
)
  problems.push(
    'dist/lib/licenses.txt is missing or does not list the bundled packages',
  );

if (problems.length > 0) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
console.log('dist/ matches the source.');
