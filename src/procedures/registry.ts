import type { AnyProcedure } from '../procedure.js';
import { backup } from './backup/procedure.js';
import { backupVerify } from './backup-verify/procedure.js';
import { capacity } from './capacity/procedure.js';
import { certRotate } from './cert-rotate/procedure.js';
import { compliance } from './compliance/procedure.js';
import { drTest } from './dr-test/procedure.js';
import { health } from './health/procedure.js';
import { housekeeping } from './housekeeping/procedure.js';
import { incident } from './incident/procedure.js';
import { inventory } from './inventory/procedure.js';
import { maintenanceLog } from './maintenance-log/procedure.js';
import { performance } from './performance/procedure.js';
import { restore } from './restore/procedure.js';
import { rollout } from './rollout/procedure.js';
import { scale } from './scale/procedure.js';

/** Every procedure by name: the action folder, the CLI subcommand, the bundle entry. */
export const procedures: Record<string, AnyProcedure> = {
  backup: backup,
  'backup-verify': backupVerify,
  capacity: capacity,
  'cert-rotate': certRotate,
  compliance: compliance,
  'dr-test': drTest,
  health: health,
  housekeeping: housekeeping,
  incident: incident,
  inventory: inventory,
  'maintenance-log': maintenanceLog,
  performance: performance,
  restore: restore,
  rollout: rollout,
  scale: scale,
};

/** One procedure of a chain; `requires` names an input without which it is skipped. */
export interface ChainStep {
  procedure: string;
  requires?: string;
}

/** The chains the CLI runs by cadence. */
export const chains: Record<string, ChainStep[]> = {
  daily: [
    { procedure: 'health' },
    { procedure: 'housekeeping' },
    { procedure: 'backup', requires: 'destination' },
  ],
  weekly: [
    // From a laptop without Prometheus, performance is skipped unless asked for.
    { procedure: 'performance', requires: 'prometheus-url' },
    { procedure: 'rollout', requires: 'image' },
  ],
  monthly: [
    { procedure: 'cert-rotate' },
    // From a laptop without Prometheus, capacity is skipped unless asked for.
    { procedure: 'capacity', requires: 'prometheus-url' },
    { procedure: 'compliance' },
  ],
  // The DR test joins when it is built.
  quarterly: [{ procedure: 'inventory' }],
};

/** Looks up a procedure, with the list of known ones in the error. */
export function getProcedure(name: string): AnyProcedure {
  const p = procedures[name];
  if (!p)
    throw new Error(
      `unknown procedure "${name}" (known: ${Object.keys(procedures).join(', ')})`,
    );
  return p;
}
