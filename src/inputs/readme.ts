import type { Procedure } from '../procedure.js';
import { allOutputs } from './action-yml.js';
import type { InputSpec } from './spec.js';

/** The two generated parts of an action's README. */
export type ReadmeRegion = 'inputs' | 'outputs';

const REGIONS: readonly ReadmeRegion[] = ['inputs', 'outputs'];

/** The comment lines that enclose a generated part of a README. */
export function readmeMarkers(region: ReadmeRegion): [string, string] {
  return [`<!-- ${region}:start -->`, `<!-- ${region}:end -->`];
}

/**
 * Text for a Markdown table cell: one line, `|` escaped (GitHub needs that in
 * code spans too), and `<`/`>` escaped outside code spans, where GitHub would
 * otherwise take `<prefix>` for an HTML tag and hide it.
 */
function cell(text: string): string {
  return text
    .replace(/\s*\n\s*/g, ' ')
    .split(/(`[^`]*`)/)
    .map((part, i) =>
      i % 2 === 1 ? part : part.replace(/</g, '&lt;').replace(/>/g, '&gt;'),
    )
    .join('')
    .replace(/\|/g, '\\|');
}

/** A code span that survives backticks in the value. */
function code(value: string): string {
  return cell(value.includes('`') ? `\`\` ${value} \`\`` : `\`${value}\``);
}

/** The accepted form, and whether the value is masked in logs. */
function accepted(s: InputSpec<unknown>): string {
  if (s.secret === true) return `${s.form} (secret: masked in logs)`;
  if (typeof s.secret === 'function')
    return `${s.form} (masked when it holds credentials)`;
  return s.form;
}

/** The inputs table: name, required, default, description, accepted form. */
export function inputsTable(p: Procedure): string {
  const rows = Object.values(p.inputs).map((s) => {
    const required = s.default === undefined;
    const dflt = required || s.default === '' ? '' : code(s.default ?? '');
    return `| ${code(s.name)} | ${required ? 'yes' : 'no'} | ${dflt} | ${cell(s.description)} | ${cell(accepted(s))} |`;
  });
  return [
    '| Input | Required | Default | Description | Accepted |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** The outputs table, with the outputs every action adds. */
export function outputsTable(p: Procedure): string {
  const rows = Object.entries(allOutputs(p)).map(
    ([name, description]) => `| ${code(name)} | ${cell(description)} |`,
  );
  return ['| Output | Description |', '| --- | --- |', ...rows].join('\n');
}

/** The generated part of a README, markers included. */
export function readmeRegion(p: Procedure, region: ReadmeRegion): string {
  const [start, end] = readmeMarkers(region);
  const table = region === 'inputs' ? inputsTable(p) : outputsTable(p);
  return [
    start,
    `<!-- Generated from src/procedures/${p.name}/ by \`npm run gen-actions\`: edit the declaration, not this table. -->`,
    '',
    table,
    '',
    end,
  ].join('\n');
}

/** Where a region sits in a README: start of its start marker, end of its end marker. */
function locate(
  text: string,
  region: ReadmeRegion,
): { from: number; to: number } | undefined {
  const [start, end] = readmeMarkers(region);
  const from = text.indexOf(start);
  const endAt = text.indexOf(end, from + start.length);
  if (from < 0 || endAt < 0) return undefined;
  return { from, to: endAt + end.length };
}

/** The generated part of a README as it stands, markers included; undefined without markers. */
export function currentRegion(
  text: string,
  region: ReadmeRegion,
): string | undefined {
  const at = locate(text, region);
  return at ? text.slice(at.from, at.to) : undefined;
}

/**
 * The README with its input and output tables regenerated from the
 * declaration, and everything outside the markers kept as written.
 * Throws when a pair of markers is missing.
 */
export function updateReadme(text: string, p: Procedure): string {
  let out = text;
  for (const region of REGIONS) {
    const at = locate(out, region);
    if (!at) {
      const [start, end] = readmeMarkers(region);
      throw new Error(
        `actions/${p.name}/README.md has no ${start} ... ${end} pair: put the two lines where the ${region} table belongs`,
      );
    }
    out = out.slice(0, at.from) + readmeRegion(p, region) + out.slice(at.to);
  }
  return out;
}

/** A README for a new action: title, description and the generated tables. */
export function newReadme(p: Procedure): string {
  return [
    `# pqc-ops ${p.name}`,
    '',
    p.description,
    '',
    '## Inputs',
    '',
    readmeRegion(p, 'inputs'),
    '',
    '## Outputs',
    '',
    readmeRegion(p, 'outputs'),
    '',
  ].join('\n');
}
