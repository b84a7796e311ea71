// scripts/build.mjs: where it refuses to build, the entries it writes (Node
// check, run() for @github/local-action) and the licence file.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const build = join(root, 'scripts', 'build.mjs');

function runBuild(args: string[], cwd = root) {
  const r = spawnSync(process.execPath, [build, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 240_000,
  });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout };
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'pqc-ops-build-test-'));
}

describe('build.mjs output directory', () => {
  it('refuses --out without a value, before touching anything', () => {
    for (const args of [['--out'], ['--out', '--other'], ['--out=']]) {
      const r = runBuild(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('build: --out needs a directory');
    }
    expect(existsSync(join(root, '.git'))).toBe(true);
  });

  it.each([
    ['.', root],
    ['..', root],
    ['/', root],
    ['..', join(root, 'src')],
  ])(
    'refuses --out %s from %s: the repository or a parent of it',
    (out, cwd) => {
      const r = runBuild(['--out', out], cwd);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /refusing to build into .*: it is the repository or one of its parent directories/,
      );
      expect(existsSync(join(root, '.git'))).toBe(true);
      expect(existsSync(join(root, 'package.json'))).toBe(true);
    },
  );

  it('refuses a non-empty directory it did not write, and leaves it intact', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    mkdirSync(join(dir, 'lib'));
    writeFileSync(join(dir, 'lib', 'index.js'), 'export {};');
    const r = runBuild(['--out', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `build: refusing to build into ${dir}: it is not empty and has no .pqc-ops-dist file`,
    );
    expect(readdirSync(dir).sort()).toEqual(['lib', 'notes.txt']);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('refuses a file', () => {
    const file = join(tempDir(), 'f');
    writeFileSync(file, 'x');
    const r = runBuild(['--out', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not a directory');
    expect(readFileSync(file, 'utf8')).toBe('x');
  });
});

describe('a build', () => {
  let out: string;
  beforeAll(() => {
    // A directory an earlier build marked: rebuilt from scratch.
    out = join(tempDir(), 'dist');
    mkdirSync(out);
    writeFileSync(join(out, '.pqc-ops-dist'), '');
    writeFileSync(join(out, 'stale.js'), '');
    const r = runBuild(['--out', out]);
    if (r.code !== 0) throw new Error(`build failed: ${r.stderr}`);
  }, 300_000);

  it('replaces a directory it wrote before, and marks the new one', () => {
    expect(existsSync(join(out, 'stale.js'))).toBe(false);
    expect(existsSync(join(out, '.pqc-ops-dist'))).toBe(true);
    for (const name of readdirSync(join(root, 'actions'))) {
      expect(existsSync(join(out, name, 'index.js'))).toBe(true);
      expect(existsSync(join(out, name, 'run.js'))).toBe(true);
    }
  });

  it('writes the licence text of every bundled package', () => {
    const text = readFileSync(join(out, 'lib', 'licenses.txt'), 'utf8');
    for (const pkg of [
      '@actions/core',
      '@kubernetes/client-node',
      'age-encryption',
      'yaml',
      'undici',
    ]) {
      const version = JSON.parse(
        readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8'),
      ).version;
      expect(text).toContain(`\n${pkg} ${version}\nLicense: `);
    }
    expect(text).toContain('Apache License');
    expect(text).toContain('Version 2.0, January 2004');
    expect(text).toContain('Permission is hereby granted, free of charge');
  });

  describe('on a Node older than 24', () => {
    const oldNode = olderNode();
    it.skipIf(!oldNode)(
      `action entries fail with one ::error:: line (${oldNode?.version ?? 'no older Node found'})`,
      () => {
        const dir = tempDir();
        const output = join(dir, 'output');
        writeFileSync(output, '');
        const r = spawnSync(oldNode!.path, [join(out, 'health', 'index.js')], {
          encoding: 'utf8',
          env: { PATH: process.env['PATH'], GITHUB_OUTPUT: output },
        });
        expect(r.status).toBe(1);
        expect(r.stdout).toBe(
          `::error::pqc-ops: this action needs Node.js 24 or newer (running ${oldNode!.version})\n`,
        );
        expect(r.stderr).toBe('');
        expect(readFileSync(output, 'utf8')).toBe('');
      },
    );

    it.skipIf(!oldNode)('the CLI fails with one line on stderr', () => {
      const r = spawnSync(
        oldNode!.path,
        [join(out, 'cli', 'index.js'), 'health', '--help'],
        { encoding: 'utf8' },
      );
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        `pqc-ops: the CLI needs Node.js 24 or newer (running ${oldNode!.version})\n`,
      );
    });
  });

  it('run.js exports run() and importing it runs nothing', async () => {
    const before = readFileSync(process.env['GITHUB_OUTPUT']!, 'utf8');
    const m = (await import(
      pathToFileURL(join(out, 'scale', 'run.js')).href
    )) as { run?: unknown };
    expect(typeof m.run).toBe('function');
    expect(readFileSync(process.env['GITHUB_OUTPUT']!, 'utf8')).toBe(before);
    expect(process.exitCode ?? 0).toBe(0);
  });

  it.each([
    [
      'imports run.js and calls run()',
      'const { run } = await import(process.argv[1]); await run();',
      'run.js',
    ],
    ['index.js runs the action when executed', '', 'index.js'],
  ])('%s, as @github/local-action and the runner do', (_what, script, file) => {
    const entry = join(out, 'scale', file);
    const args = script
      ? ['--input-type=module', '-e', script, pathToFileURL(entry).href]
      : [entry];
    const r = spawnSync(process.execPath, args, {
      encoding: 'utf8',
      env: {
        PATH: process.env['PATH'],
        RUNNER_TEMP: tempDir(),
        INPUT_REPLICAS: 'many',
      },
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^::error::scale: .*replicas/m);
    expect(r.stdout).not.toContain('Node.js 24');
  });
});

/** A Node on PATH (or /usr/bin) older than 24, like the machine's system Node. */
function olderNode(): { path: string; version: string } | undefined {
  const dirs = [
    ...(process.env['PATH'] ?? '').split(delimiter),
    '/usr/bin',
    '/usr/local/bin',
  ];
  for (const d of dirs) {
    const path = join(d, 'node');
    if (!d || !existsSync(path) || dirname(process.execPath) === d) continue;
    const version = execFileSync(path, ['-p', 'process.versions.node'], {
      encoding: 'utf8',
    }).trim();
    if (Number(version.split('.')[0]) < 24) return { path, version };
  }
  return undefined;
}
