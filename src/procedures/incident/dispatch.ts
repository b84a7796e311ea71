import { parseRecipients } from '../../archive/age.js';
import type { Mutation } from '../../plan/change-control.js';
import { loadPlan } from '../../plan/plan.js';
import { corruptionAccess, corruptionMutation } from './corruption.js';
import { isLiftPlan, liftMutation } from './isolation.js';
import { diagnoseOutage, outageMutation } from './outage.js';
import { securityMutation } from './security.js';
import type { IncidentRun } from './shared.js';

/** What a run keeps for its outputs besides the record. */
export interface IncidentState {
  /** The summary's words for an applied run. */
  headline?: string;
  evidence?: { path: string; sha256: string };
  undoPlan?: { file: string; sha256: string };
  /** Pod names before a restart, to check they were all replaced. */
  podsBefore?: string[];
  emergencyArchive?: string;
  restoredArchive?: string;
}

/**
 * The mutation of the chosen procedure, or, for an approved plan that lifts
 * an isolation (a security-incident's undo plan), the one that applies it.
 */
export async function incidentMutation(
  r: IncidentRun,
  state: IncidentState,
): Promise<Mutation> {
  const { o } = r;
  if (o.mode === 'apply' && isLiftPlan(loadPlan(o.plan, 'incident')))
    return liftMutation(r);
  switch (o.procedure) {
    case 'outage':
      await diagnoseOutage(r);
      return outageMutation(r);
    case 'security-incident':
      return securityMutation(r, await parseRecipients(o.ageRecipients), state);
    case 'data-corruption':
      return corruptionMutation(r, await corruptionAccess(r), state);
  }
}
