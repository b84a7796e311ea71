import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineProcedure } from '../../src/procedure.js';
import {
  currentRegion,
  inputsTable,
  outputsTable,
  readmeRegion,
  updateReadme,
} from '../../src/inputs/readme.js';
import { input } from '../../src/inputs/spec.js';
import { procedures } from '../../src/procedures/registry.js';

const demo = defineProcedure({
  name: 'demo',
  title: 'Demo',
  description: 'A demo procedure.',
  inputs: {
    target: input.url('target', {
      default: undefined,
      description: 'Where to send it: a | b, <prefix>_x and `<kept>`.',
    }),
    token: input.string('token', { description: 'A token.', secret: true }),
    wait: input.duration('wait', { default: '5m', description: 'How long.' }),
  },
  outputs: { done: 'true when done.' },
  run: () => Promise.reject(new Error('not run')),
});

describe('inputsTable and outputsTable', () => {
  it.each([
    [
      'a required input: no default, pipes and tags escaped, code kept',
      '| `target` | yes |  | Where to send it: a \\| b, &lt;prefix&gt;_x and `<kept>`. | an http:// or https:// URL |',
    ],
    [
      'an optional secret: masked, empty default',
      '| `token` | no |  | A token. | a string (secret: masked in logs) |',
    ],
    [
      'a default and an accepted form',
      '| `wait` | no | `5m` | How long. | a duration such as 30s, 5m, 24h or 7d, from 1s to 30d |',
    ],
  ])('renders %s', (_case, row) => {
    expect(inputsTable(demo).split('\n')).toContain(row);
  });

  it('lists the procedure outputs, then those every action has', () => {
    const names = outputsTable(demo)
      .split('\n')
      .slice(2)
      .map((l) => /^\| `([^`]+)`/.exec(l)?.[1]);
    expect(names).toEqual(['done', 'status', 'result', 'report']);
  });
});

describe('updateReadme', () => {
  const readme = [
    '# demo',
    '',
    'Prose before.',
    '',
    '<!-- inputs:start -->',
    'stale table',
    '<!-- inputs:end -->',
    '',
    'Prose between.',
    '',
    '<!-- outputs:start -->',
    '<!-- outputs:end -->',
    '',
    'Prose after.',
    '',
  ].join('\n');

  it('rewrites only what is between the markers, and is idempotent', () => {
    const out = updateReadme(readme, demo);
    expect(out).toBe(
      readme
        .replace(
          '<!-- inputs:start -->\nstale table\n<!-- inputs:end -->',
          readmeRegion(demo, 'inputs'),
        )
        .replace(
          '<!-- outputs:start -->\n<!-- outputs:end -->',
          readmeRegion(demo, 'outputs'),
        ),
    );
    expect(out).toContain('Prose before.');
    expect(out).toContain('Prose between.');
    expect(out).toContain('Prose after.');
    expect(updateReadme(out, demo)).toBe(out);
  });

  it('refuses a README without the markers, naming the missing pair', () => {
    expect(() =>
      updateReadme(readme.replace('<!-- outputs:end -->', ''), demo),
    ).toThrow(/actions\/demo\/README.md has no <!-- outputs:start -->/);
  });
});

describe('action READMEs', () => {
  const root = new URL('../..', import.meta.url).pathname;
  const dirs = readdirSync(join(root, 'actions'));

  it.each(dirs)(
    '%s has the input and output tables of its declaration (npm run gen-actions)',
    (name) => {
      const text = readFileSync(
        join(root, 'actions', name, 'README.md'),
        'utf8',
      );
      const p = procedures[name];
      expect(p, `no procedure registered for actions/${name}`).toBeDefined();
      for (const region of ['inputs', 'outputs'] as const)
        expect(currentRegion(text, region)).toBe(readmeRegion(p, region));
    },
  );
});
