import type { RemoteOpener } from '../../archive/archive-reader.js';
import type { FoundArchive } from '../../archive/retention.js';
import type { VerifiedCandidate } from '../../dr/archive.js';
import type { Kube } from '../../kube/client.js';
import type { DrillClock } from './drill.js';
import type { FailoverObject } from './failover.js';
import type { DrTestOptions } from './inputs.js';

/** What the DR test's mutation works on, resolved before the plan. */
export interface DrSetup {
  kube: Kube;
  o: DrTestOptions;
  identities: string[];
  dbMode: 'url' | 'exec';
  /** The database's name (from the URL, or input database). */
  database: string;
  bucket?: { list(prefix: string): Promise<FoundArchive[]> };
  remote?: RemoteOpener;
  failover?: { kube: Kube; context: string; objects: FailoverObject[] };
}

/** What the apply learned and measured, for the record. */
export interface DrState {
  archive?: VerifiedCandidate;
  clock: DrillClock;
  failoverDone: string[];
}
