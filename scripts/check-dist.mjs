// Rebuilds dist/ and fails when it differs from what is committed, including
// new untracked bundles that `git diff` would miss.
import { execFileSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
execFileSync(process.execPath, ['scripts/build.mjs'], {
  cwd: root,
  stdio: 'inherit',
});
const status = execFileSync('git', ['status', '--porcelain', '--', 'dist/'], {
  cwd: root,
  encoding: 'utf8',
});
if (status.trim() !== '') {
  console.error(
    'dist/ does not match the source; run `npm run build` and commit dist/:\n' +
      status,
  );
  process.exit(1);
}
console.log('dist/ matches the source.');
