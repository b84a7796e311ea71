import { ConfigurationError } from '../errors.js';
import type { PrometheusTarget } from '../prometheus/query.js';
import { input } from './spec.js';

/** How to reach Prometheus: its URL and optional credentials (secrets). */
export const prometheusInputs = {
  prometheusUrl: input.url('prometheus-url', {
    default: 'http://prometheus:9090',
    description:
      "Base URL of Prometheus's HTTP API (the part before /api/v1), such as http://prometheus.monitoring:9090.",
  }),
  prometheusToken: input.string('prometheus-token', {
    secret: true,
    description:
      'Bearer token for Prometheus (a proxy in front of it). Secret. Not with prometheus-username.',
  }),
  prometheusUsername: input.string('prometheus-username', {
    description: 'Basic-auth user for Prometheus, with prometheus-password.',
  }),
  prometheusPassword: input.string('prometheus-password', {
    secret: true,
    description: 'Basic-auth password for Prometheus. Secret.',
  }),
  prometheusTimeout: input.duration('prometheus-timeout', {
    default: '30s',
    timer: true,
    description:
      'Time limit of one Prometheus request (each of up to 4 attempts: 5xx, 429 and dropped connections are retried).',
  }),
};

interface PrometheusOptions {
  prometheusUrl: URL | undefined;
  prometheusToken: string | undefined;
  prometheusUsername: string | undefined;
  prometheusPassword: string | undefined;
}

/** The rules of the group: one kind of credentials, and a whole pair for basic auth. */
export function checkPrometheusInputs(o: PrometheusOptions): void {
  if (o.prometheusToken && (o.prometheusUsername || o.prometheusPassword))
    throw new ConfigurationError(
      "give input 'prometheus-token' or 'prometheus-username' with 'prometheus-password', not both",
    );
  if (!!o.prometheusUsername !== !!o.prometheusPassword)
    throw new ConfigurationError(
      "inputs 'prometheus-username' and 'prometheus-password' go together: give both for basic auth, or neither",
    );
  if (o.prometheusUrl?.username || o.prometheusUrl?.password)
    throw new ConfigurationError(
      "input 'prometheus-url' must not hold credentials (they would show in logs): use prometheus-username and prometheus-password",
    );
}

/** The query client's target from the group's options. */
export function prometheusTarget(
  o: PrometheusOptions & { prometheusTimeout: number },
  ctx: { sleep: (ms: number) => Promise<void>; signal: AbortSignal },
): PrometheusTarget {
  if (!o.prometheusUrl)
    throw new ConfigurationError(
      "input 'prometheus-url' is required: give an http:// or https:// URL",
    );
  return {
    url: o.prometheusUrl,
    timeoutMs: o.prometheusTimeout,
    sleep: ctx.sleep,
    signal: ctx.signal,
    ...(o.prometheusToken ? { bearerToken: o.prometheusToken } : {}),
    ...(o.prometheusUsername && o.prometheusPassword
      ? {
          basicAuth: {
            username: o.prometheusUsername,
            password: o.prometheusPassword,
          },
        }
      : {}),
  };
}
