import { errorMessage } from '../errors.js';
import {
  PrometheusError,
  queryRange,
  type PrometheusTarget,
  type Series,
} from './query.js';
import type { QueryRange } from './series.js';

/**
 * Range queries of one run against one Prometheus. A query that fails on its
 * own (a 400 for bad PromQL) fails alone; once the server itself is down
 * (no answer, or 5xx/429 after every retry), every later query fails at once
 * with the same reason instead of waiting through its own retries.
 */
export class PrometheusSession {
  private down: string | undefined;

  constructor(readonly target: PrometheusTarget) {}

  /** The series of `expr` on the grid, or the one-line reason it has none. */
  async range(
    expr: string,
    r: QueryRange,
  ): Promise<{ series: Series[] } | { error: string }> {
    if (this.down) return { error: this.down };
    try {
      return {
        series: await queryRange(this.target, expr, r.start, r.end, r.step),
      };
    } catch (e) {
      if (this.target.signal?.aborted) throw e;
      const msg = errorMessage(e);
      if (!(e instanceof PrometheusError) || e.serverDown) this.down = msg;
      return { error: msg };
    }
  }

  /** Why the server is taken as down, if it is. */
  get unavailable(): string | undefined {
    return this.down;
  }
}
