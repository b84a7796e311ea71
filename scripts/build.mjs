// Types are checked by `npm run typecheck`; ncc only transpiles and bundles.
// Bundles the shared library once with ncc and writes a small entry per
// action, so fourteen actions share one copy of client-node.
// `node scripts/build.mjs --out <dir>` builds the same thing elsewhere (the
// benchmarks measure the current source that way, without touching dist/).
import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { transformSync } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const outAt = process.argv.indexOf('--out');
const dist =
  outAt > 0 ? resolve(process.argv[outAt + 1] ?? '') : join(root, 'dist');
rmSync(dist, { recursive: true, force: true });

execFileSync(
  join(root, 'node_modules/.bin/ncc'),
  [
    'build',
    'src/lib.ts',
    '-m',
    '-q',
    '--transpile-only',
    '--no-source-map-register',
    '-o',
    relative(root, join(dist, 'lib')) || 'dist/lib',
  ],
  { cwd: root, stdio: 'inherit' },
);

// ncc minifies its entry but not the chunks of dynamic imports.
for (const f of readdirSync(join(dist, 'lib'))) {
  if (!f.endsWith('.js') || f === 'index.js') continue;
  const file = join(dist, 'lib', f);
  const out = transformSync(readFileSync(file, 'utf8'), {
    minify: true,
    format: 'esm',
    target: 'node24',
    legalComments: 'none',
  });
  writeFileSync(file, out.code);
}

const actions = readdirSync(join(root, 'actions')).filter((d) =>
  statSync(join(root, 'actions', d)).isDirectory(),
);
for (const name of actions) {
  mkdirSync(join(dist, name), { recursive: true });
  writeFileSync(
    join(dist, name, 'index.js'),
    // The compile cache lets later steps of the same job (and later CLI runs)
    // skip compiling the bundle again; the import must follow it, so it is dynamic.
    `import module from 'node:module';\nmodule.enableCompileCache?.();\nconst { runAction } = await import('../lib/index.js');\nawait runAction(${JSON.stringify(name)});\n`,
  );
}
mkdirSync(join(dist, 'cli'), { recursive: true });
writeFileSync(
  join(dist, 'cli', 'index.js'),
  [
    '#!/usr/bin/env node',
    "import module from 'node:module';",
    'module.enableCompileCache?.();',
    "const { cliMain } = await import('../lib/index.js');",
    'process.exitCode = await cliMain(process.argv.slice(2), {',
    "  out: (s) => process.stdout.write(s + '\\n'),",
    "  err: (s) => process.stderr.write(s + '\\n'),",
    '  env: process.env,',
    '});',
    '',
  ].join('\n'),
  { mode: 0o755 },
);
writeFileSync(join(dist, 'package.json'), '{ "type": "module" }\n');

function size(dir) {
  return readdirSync(dir).reduce((n, f) => {
    const p = join(dir, f);
    const s = statSync(p);
    return n + (s.isDirectory() ? size(p) : s.size);
  }, 0);
}
const total = size(dist);
console.log(
  `${dist === join(root, 'dist') ? 'dist' : dist}/: ${(total / 1024 / 1024).toFixed(2)} MB for ${actions.length} action(s) and the CLI`,
);
