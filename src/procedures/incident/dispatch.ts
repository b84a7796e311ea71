import type { Mutation } from '../../plan/change-control.js';
import { diagnoseOutage, outageMutation } from './outage.js';
import type { IncidentRun } from './shared.js';

/** What a run keeps for its outputs besides the record. */
export interface IncidentState {
  /** The summary's words for an applied run. */
  headline?: string;
  evidence?: { path: string; sha256: string };
  undoPlan?: { file: string; sha256: string };
  emergencyArchive?: string;
  restoredArchive?: string;
}

/** The mutation of the chosen procedure (or of the plan being applied). */
export async function incidentMutation(
  r: IncidentRun,
  state: IncidentState,
): Promise<Mutation> {
  void state;
  switch (r.o.procedure) {
    case 'outage':
      await diagnoseOutage(r);
      return outageMutation(r);
    default:
      throw new Error(`${r.o.procedure}: not built yet`);
  }
}
