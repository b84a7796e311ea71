// Writes actions/<name>/action.yml from each procedure's input declaration.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { actionYaml } from '../src/inputs/action-yml.js';
import { procedures } from '../src/procedures/registry.js';

const root = new URL('..', import.meta.url).pathname;
for (const p of Object.values(procedures)) {
  const dir = join(root, 'actions', p.name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'action.yml'), actionYaml(p));
  console.log(`actions/${p.name}/action.yml`);
}
