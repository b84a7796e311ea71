// Writes actions/<name>/action.yml from each procedure's input declaration,
// and the input and output tables of actions/<name>/README.md (between the
// `<!-- inputs:start -->`/`<!-- inputs:end -->` and `<!-- outputs:... -->`
// markers; the prose around them is kept). A new action gets a README with
// its description and the two tables.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { actionYaml } from '../src/inputs/action-yml.js';
import { newReadme, updateReadme } from '../src/inputs/readme.js';
import { procedures } from '../src/procedures/registry.js';

const root = new URL('..', import.meta.url).pathname;
const problems: string[] = [];
for (const p of Object.values(procedures)) {
  const dir = join(root, 'actions', p.name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'action.yml'), actionYaml(p));
  console.log(`actions/${p.name}/action.yml`);
  const readme = join(dir, 'README.md');
  try {
    const before = existsSync(readme) ? readFileSync(readme, 'utf8') : '';
    const after = before === '' ? newReadme(p) : updateReadme(before, p);
    if (after !== before) writeFileSync(readme, after);
    console.log(`actions/${p.name}/README.md`);
  } catch (e) {
    problems.push(e instanceof Error ? e.message : String(e));
  }
}
for (const m of problems) console.error(`gen-actions: ${m}`);
if (problems.length > 0) process.exitCode = 1;
