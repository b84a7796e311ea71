import { stringify } from 'yaml';
import { COMMON_OUTPUTS, type Procedure } from '../procedure.js';

/**
 * Every output of a procedure's action: its own, then those the adapters add
 * (`status`, `result`, `report`); its own description wins when it declares
 * one of those (health's `status`).
 */
export function allOutputs(p: Procedure): Record<string, string> {
  return { ...p.outputs, ...COMMON_OUTPUTS, ...p.outputs };
}

/** The action.yml metadata an action folder must hold for a procedure. */
export function actionMetadata(p: Procedure): Record<string, unknown> {
  const inputs: Record<string, Record<string, unknown>> = {};
  for (const s of Object.values(p.inputs)) {
    inputs[s.name] =
      s.default === undefined
        ? { description: s.description, required: true }
        : { description: s.description, required: false, default: s.default };
  }
  const outputs: Record<string, { description: string }> = {};
  for (const [k, v] of Object.entries(allOutputs(p)))
    outputs[k] = { description: v };
  return {
    name: `pqc-ops ${p.name}`,
    description: p.description,
    author: 'pqc-ops',
    branding: { icon: 'shield', color: 'purple' },
    inputs,
    outputs,
    runs: { using: 'node24', main: `../../dist/${p.name}/index.js` },
  };
}

/** action.yml text, generated from the declaration. */
export function actionYaml(p: Procedure): string {
  return (
    `# Generated from src/procedures/${p.name}/ by \`npm run gen-actions\`; edit the declaration, not this file.\n` +
    stringify(actionMetadata(p), { lineWidth: 0 })
  );
}
