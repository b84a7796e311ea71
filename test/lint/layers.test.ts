import { join } from 'node:path';
import { ESLint } from 'eslint';
import * as importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: the ESLint config helpers are plain JavaScript
import { layersConfig } from '../../eslint/layers.js';

const root = join(import.meta.dirname, '..', '..');

/** Lints `code` as if it were the file at `path` (repository-relative), with the layer rule only. */
async function layerErrors(path: string, code: string): Promise<string[]> {
  const eslint = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [
      { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } },
      layersConfig(importX),
    ],
  });
  const [res] = await eslint.lintText(code, { filePath: join(root, path) });
  return (res?.messages ?? []).map((m) => `${m.ruleId ?? ''}: ${m.message}`);
}

describe('the layering rule (eslint/layers.js)', () => {
  it('fails on a domain module importing a procedure', async () => {
    const errors = await layerErrors(
      'src/kube/back-import.ts',
      "import { scale } from '../procedures/scale/procedure.js';\nexport const x = scale;\n",
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^import-x\/no-restricted-paths: .*layers only point down/,
    );
  });

  it('fails on a domain module importing the framework (plan, inputs, executor)', async () => {
    for (const spec of [
      '../plan/plan.js',
      '../inputs/spec.js',
      '../execute.js',
    ]) {
      const errors = await layerErrors(
        'src/postgres/back-import.ts',
        `import * as m from '${spec}';\nexport const x = m;\n`,
      );
      expect(errors, spec).toHaveLength(1);
    }
  });

  it('fails on one procedure importing another', async () => {
    const errors = await layerErrors(
      'src/procedures/restore/uses-backup.ts',
      "import { backup } from '../backup/procedure.js';\nexport const x = backup;\n",
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/one procedure never imports another/);
  });

  it('fails on the framework importing an adapter or a procedure', async () => {
    expect(
      await layerErrors(
        'src/plan/back-import.ts',
        "import { runAction } from '../action.js';\nexport const x = runAction;\n",
      ),
    ).toHaveLength(1);
    expect(
      await layerErrors(
        'src/inputs/back-import.ts',
        "import { health } from '../procedures/health/procedure.js';\nexport const x = health;\n",
      ),
    ).toHaveLength(1);
  });

  it('accepts imports that point down', async () => {
    expect(
      await layerErrors(
        'src/procedures/scale/ok.ts',
        "import { Kube } from '../../kube/client.js';\nimport { changeControlInputs } from '../../plan/change-control.js';\nimport { waitForRollout } from '../../kube/rollout.js';\nexport const x = [Kube, changeControlInputs, waitForRollout];\n",
      ),
    ).toEqual([]);
    expect(
      await layerErrors(
        'src/archive/ok.ts',
        "import type { Check } from '../report/step-result.js';\nimport { LocalRunner } from '../process/runner.js';\nexport type C = Check;\nexport const r = LocalRunner;\n",
      ),
    ).toEqual([]);
  });
});
