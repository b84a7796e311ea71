import type { TupleStats, VacuumOutcome } from '../../postgres/vacuum.js';
import type { PodPlan } from './plan-pod.js';
import type { FileOp } from './select.js';

/** How one planned file ended on apply. */
export interface FileOutcome {
  pod: string;
  path: string;
  op: FileOp;
  size: number;
  status: 'done' | 'skipped' | 'failed';
  /** Size of the .gz, for a compressed file. */
  gzSize?: number;
  why?: string;
}

/** What the procedure keeps from the mutation for its record. */
export interface HousekeepingState {
  /** Every pod the plan looked at (this run's plan only). */
  pods: PodPlan[];
  /** Set when the selector matched no Running and Ready pod. */
  noPods?: string;
  /** Files left for the next run (over MAX_FILES). */
  deferred: number;
  outcomes: FileOutcome[];
  /** Pods whose exec failed while applying: pod -> why. */
  podErrors: Map<string, string>;
  vacuumPlan?: TupleStats;
  vacuum?: VacuumOutcome;
  vacuumError?: string;
  vacuumSkipped?: string;
}

/** A fresh state. */
export function newState(): HousekeepingState {
  return { pods: [], deferred: 0, outcomes: [], podErrors: new Map() };
}
