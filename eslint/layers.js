// @ts-check
// The layering of src/: adapters -> procedures -> framework -> domains. No
// import may point up, and one procedure never imports another (the
// registry, which lists them all, is the exception). `import-x/no-cycle`
// cannot see this, so the zones are spelled out here.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const DOMAINS = [
  'kube',
  'certs',
  'postgres',
  'archive',
  'process',
  'prometheus',
  'notify',
  'github',
  'storage',
  'health',
  'dr',
];
const ADAPTERS = [
  './src/action.ts',
  './src/cli.ts',
  './src/cli',
  './src/lib.ts',
];
const FRAMEWORK = [
  './src/inputs',
  './src/plan',
  './src/report',
  './src/execute.ts',
  './src/procedure.ts',
];

const procedureDirs = readdirSync(join(root, 'src/procedures')).filter((d) =>
  statSync(join(root, 'src/procedures', d)).isDirectory(),
);

/** The zones of `import-x/no-restricted-paths`. */
export const layerZones = [
  ...DOMAINS.map((d) => ({
    target: `./src/${d}`,
    // The record format (src/report) is shared with the domains: they report checks.
    from: [
      './src/procedures',
      ...FRAMEWORK.filter((f) => f !== './src/report'),
      ...ADAPTERS,
    ],
    message:
      'a domain module must not import the framework, a procedure or an adapter (layers only point down)',
  })),
  ...FRAMEWORK.map((f) => ({
    target: f,
    from: ['./src/procedures', ...ADAPTERS],
    message:
      'the framework must not import a procedure or an adapter (layers only point down)',
  })),
  {
    target: './src/report',
    from: [
      './src/plan',
      './src/inputs',
      './src/execute.ts',
      './src/procedure.ts',
    ],
    message: 'the record format sits below the rest of the framework',
  },
  {
    target: './src/procedures',
    from: ADAPTERS,
    message: 'a procedure must not import an adapter',
  },
  ...procedureDirs.map((d) => ({
    target: `./src/procedures/${d}`,
    from: './src/procedures',
    except: [`./${d}`],
    message:
      'one procedure never imports another: move the shared code to a domain folder',
  })),
];

/** The flat-config block that enforces the layers. */
/** @param {typeof import('eslint-plugin-import-x')} importX */
export function layersConfig(importX) {
  return {
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      // NodeNext specifiers name the emitted .js; the sources are .ts.
      'import-x/resolver-next': [
        importX.createNodeResolver({
          extensions: ['.ts', '.js', '.mjs'],
          extensionAlias: { '.js': ['.ts', '.js'] },
        }),
      ],
    },
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        { basePath: root, zones: layerZones },
      ],
    },
  };
}
