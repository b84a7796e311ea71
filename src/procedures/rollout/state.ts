import type { Health } from '../../health/round.js';
import type { UndoOutcome } from '../../kube/revisions.js';
import type { RolloutState as Progress } from '../../kube/rollout.js';
import type { Check } from '../../report/step-result.js';

/** An image as it ran: reference, the digests its pods reported, revision. */
export interface Running {
  image: string;
  revision: number;
  digests: string[];
}

/** What the procedure keeps from the mutation for its record and outputs. */
export interface RolloutState {
  before?: Running;
  after?: Running;
  rollout?: Progress & { timedOut: boolean };
  health?: { status: Health; checks: Check[] };
  undo?: {
    reason: string;
    outcome?: UndoOutcome;
    rollout?: Progress & { timedOut: boolean };
    error?: string;
  };
}
