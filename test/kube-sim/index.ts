/**
 * kube-sim: a protocol-faithful Kubernetes API server simulator for tests.
 * See README.md in this directory.
 */
export { startKubeSim } from './harness.js';
export type { KubeSim, KubeSimOptions } from './harness.js';
export type { ExecHook, ExecHookContext } from './core.js';
export type { Fault, JournalEntry, PodBehavior, MetricsMode } from './types.js';
export { BEHAVIOR_ANNOTATION, ISSUANCE_ANNOTATION } from './types.js';
