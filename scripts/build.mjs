// Types are checked by `npm run typecheck`; ncc only transpiles and bundles.
// Bundles the shared library once with ncc and writes a small entry per
// action, so fourteen actions share one copy of client-node.
// `node scripts/build.mjs --out <dir>` builds the same thing elsewhere (the
// benchmarks measure the current source that way, without touching dist/).
//
// Layout of the output:
//   lib/index.js, lib/<n>.index.js  the ncc bundle (runAction, cliProcess)
//   lib/node-check.js               the Node version check, plain ES2020
//   lib/licenses.txt                licence texts of every bundled package
//   <action>/run.js                 `export async function run()`: checks
//                                   Node, then runs the action; point
//                                   @github/local-action at this file
//   <action>/index.js               runs.main: imports run.js, calls run()
//   cli/index.js                    the CLI, with the same Node check
//   .pqc-ops-dist                   marks the directory as this script's
//                                   output: only such a directory (or a new
//                                   or empty one) is ever deleted
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourceHash } from './source-hash.mjs';
import { transformSync } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const MARKER = '.pqc-ops-dist';
const MIN_NODE = 24;

function fail(message) {
  console.error(`build: ${message}`);
  process.exit(2);
}

/** The output directory from the command line; dist/ without `--out`. */
function outputDir(argv) {
  let out;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out' || a.startsWith('--out=')) {
      const v = a === '--out' ? argv[++i] : a.slice('--out='.length);
      if (v === undefined || v === '' || v.startsWith('-'))
        fail('--out needs a directory: node scripts/build.mjs --out <dir>');
      out = resolve(v);
    } else
      fail(
        `unknown argument ${a}; usage: node scripts/build.mjs [--out <dir>]`,
      );
  }
  return out ?? join(root, 'dist');
}

/** A dist/ written before the marker existed: only names this script writes. */
function isUnmarkedBuild(dir, entries, actions) {
  const ours = new Set(['lib', 'cli', 'package.json', ...actions]);
  if (!entries.every((e) => ours.has(e))) return false;
  if (!existsSync(join(dir, 'lib', 'index.js'))) return false;
  const pkg = join(dir, 'package.json');
  return (
    existsSync(pkg) && readFileSync(pkg, 'utf8') === '{ "type": "module" }\n'
  );
}

/**
 * Refuses to delete anything but a new or empty directory or an earlier
 * output of this script, and never the repository or one of its parents.
 */
function checkOutputDir(dir, actions) {
  const real = existsSync(dir) ? realpathSync(dir) : dir;
  const up = relative(real, realpathSync(root));
  if (up === '' || (!up.startsWith('..') && !isAbsolute(up)))
    fail(
      `refusing to build into ${dir}: it is the repository or one of its parent directories, and the build deletes its output directory`,
    );
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) fail(`${dir} is not a directory`);
  const entries = readdirSync(dir);
  if (
    entries.length === 0 ||
    entries.includes(MARKER) ||
    isUnmarkedBuild(dir, entries, actions)
  )
    return;
  fail(
    `refusing to build into ${dir}: it is not empty and has no ${MARKER} file, so it is not an earlier build output, and the build deletes its output directory; use a new or empty directory`,
  );
}

/** Package directories of every node_modules file in the ncc bundle. */
function bundledPackages(statsFile) {
  const stats = JSON.parse(readFileSync(statsFile, 'utf8'));
  const dirs = new Set();
  const walk = (modules) => {
    for (const m of modules ?? []) {
      // `loader!loader!resource`, or `json|resource` for JSON modules.
      const resource = String(m.identifier).split('!').pop();
      const path = resource.slice(resource.indexOf('/'));
      const found = /^(.*\/node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(path);
      if (found) dirs.add(found[1]);
      walk(m.modules);
    }
  };
  walk(stats.modules);
  for (const c of stats.chunks ?? []) walk(c.modules);
  return [...dirs];
}

/** licenses.txt: name, version, licence and the licence files of each package. */
function licenseText(packageDirs) {
  const rule = '='.repeat(72);
  const pkgs = packageDirs
    .map((dir) => {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      const license =
        typeof pkg.license === 'string'
          ? pkg.license
          : (pkg.license?.type ?? 'unknown');
      const files = readdirSync(dir)
        .filter((f) => /^(licen[cs]e|copying|notice)([.-]|$)/i.test(f))
        .sort(
          (a, b) =>
            Number(/^notice/i.test(a)) - Number(/^notice/i.test(b)) ||
            a.localeCompare(b),
        );
      return { name: pkg.name, version: pkg.version, license, dir, files };
    })
    .sort(
      (a, b) =>
        a.name.localeCompare(b.name) || a.version.localeCompare(b.version),
    );
  const parts = [
    'Third-party software bundled in this directory, with its licence texts.',
    `Written by scripts/build.mjs from the module list of the bundle: ${pkgs.length} packages.`,
    '',
  ];
  for (const p of pkgs) {
    parts.push(rule, `${p.name} ${p.version}`, `License: ${p.license}`, rule);
    if (p.files.length === 0)
      parts.push(
        `The package ships no licence file; its package.json declares ${p.license}.`,
        '',
      );
    for (const f of p.files) {
      if (p.files.length > 1) parts.push(`--- ${f}`);
      parts.push(readFileSync(join(p.dir, f), 'utf8').trimEnd(), '');
    }
  }
  return parts.join('\n');
}

const NODE_CHECK = `// Written by scripts/build.mjs. Loaded before the bundle, in syntax Node 18
// can parse: on an older Node the bundle fails with an unrelated TypeError.
export const MIN_NODE = ${MIN_NODE};

/** The one-line reason this Node cannot run pqc-ops, or undefined. */
export function nodeTooOld(what) {
  const version = process.versions.node;
  if (Number(version.split('.')[0]) >= MIN_NODE) return undefined;
  return 'pqc-ops: ' + what + ' needs Node.js ' + MIN_NODE +
    ' or newer (running ' + version + ')';
}
`;

function actionRun(name) {
  return `// Written by scripts/build.mjs. run() is the ${name} action and importing this
// file runs nothing: index.js (runs.main) calls run(), and @github/local-action
// takes this file as its entrypoint to drive the action locally
// (\`npx @github/local-action run actions/${name} <this file> .env\`).
import module from 'node:module';
import { nodeTooOld } from '../lib/node-check.js';

/** Runs the pqc-ops ${name} action with the runner's inputs and outputs. */
export async function run() {
  const old = nodeTooOld('this action');
  if (old) {
    process.stdout.write('::error::' + old + '\\n');
    process.exitCode = 1;
    return;
  }
  // The compile cache lets later steps of the same job (and later CLI runs)
  // skip compiling the bundle again; the bundle import must follow it.
  module.enableCompileCache?.();
  const { runAction } = await import('../lib/index.js');
  await runAction(${JSON.stringify(name)});
}
`;
}

const ACTION_INDEX = `import { run } from './run.js';\nawait run();\n`;

const CLI_INDEX = `#!/usr/bin/env node
import module from 'node:module';
import { nodeTooOld } from '../lib/node-check.js';

const old = nodeTooOld('the CLI');
if (old) {
  process.stderr.write(old + '\\n');
  process.exitCode = 1;
} else {
  module.enableCompileCache?.();
  const { cliProcess } = await import('../lib/index.js');
  process.exitCode = await cliProcess(process.argv.slice(2));
}
`;

const actions = readdirSync(join(root, 'actions')).filter((d) =>
  statSync(join(root, 'actions', d)).isDirectory(),
);
const dist = outputDir(process.argv.slice(2));
checkOutputDir(dist, actions);
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
writeFileSync(
  join(dist, MARKER),
  'Written by scripts/build.mjs, which deletes and rewrites this directory.\n' +
    `source-sha256: ${sourceHash(root)}\n`,
);

const scratch = mkdtempSync(join(tmpdir(), 'pqc-ops-build-'));
try {
  const statsFile = join(scratch, 'stats.json');
  execFileSync(
    join(root, 'node_modules/.bin/ncc'),
    [
      'build',
      'src/lib.ts',
      '-m',
      '-q',
      '--transpile-only',
      '--no-source-map-register',
      '--stats-out',
      statsFile,
      '-o',
      join(dist, 'lib'),
    ],
    { cwd: root, stdio: 'inherit' },
  );
  writeFileSync(
    join(dist, 'lib', 'licenses.txt'),
    licenseText(bundledPackages(statsFile)),
  );
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

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
writeFileSync(join(dist, 'lib', 'node-check.js'), NODE_CHECK);

for (const name of actions) {
  mkdirSync(join(dist, name), { recursive: true });
  writeFileSync(join(dist, name, 'run.js'), actionRun(name));
  writeFileSync(join(dist, name, 'index.js'), ACTION_INDEX);
}
mkdirSync(join(dist, 'cli'), { recursive: true });
writeFileSync(join(dist, 'cli', 'index.js'), CLI_INDEX, { mode: 0o755 });
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
