import type * as k8s from '@kubernetes/client-node';
import { loadKubeConfig, type KubeTarget } from './config.js';
import { describeApiError, KubeError } from './errors.js';
import { DEFAULT_RETRY, withRetry, type RetryPolicy } from './retry.js';

/** A page of a Kubernetes list, as the generated client returns it. */
export interface ListPage<T> {
  items: T[];
  /**
   * client-node's typed lists call the token `_continue`; custom-object
   * lists are plain JSON, where it is `continue`.
   */
  metadata?: { _continue?: string; continue?: string };
}

/** Options for connecting. */
export interface ConnectOptions extends KubeTarget {
  retry?: Partial<RetryPolicy>;
  sleep?: (ms: number) => Promise<void>;
  onRetry?: (msg: string) => void;
}

/**
 * The one way pqc-ops talks to a cluster: typed API clients from client-node,
 * with every call retried with backoff and every failure turned into one line.
 */
export class Kube {
  readonly core: k8s.CoreV1Api;
  readonly apps: k8s.AppsV1Api;
  readonly custom: k8s.CustomObjectsApi;
  readonly coordination: k8s.CoordinationV1Api;
  readonly authz: k8s.AuthorizationV1Api;
  /** The API server URL of the current context. */
  readonly server: string;
  /** The namespace of the current context, or 'default'. */
  readonly contextNamespace: string;
  private readonly policy: RetryPolicy;

  private constructor(
    readonly lib: typeof k8s,
    readonly config: k8s.KubeConfig,
    private readonly opts: ConnectOptions,
  ) {
    this.core = config.makeApiClient(lib.CoreV1Api);
    this.apps = config.makeApiClient(lib.AppsV1Api);
    this.custom = config.makeApiClient(lib.CustomObjectsApi);
    this.coordination = config.makeApiClient(lib.CoordinationV1Api);
    this.authz = config.makeApiClient(lib.AuthorizationV1Api);
    this.server = config.getCurrentCluster()?.server ?? '';
    const ctx = config.getContextObject(config.getCurrentContext());
    this.contextNamespace = ctx?.namespace ?? 'default';
    this.policy = { ...DEFAULT_RETRY, ...opts.retry };
  }

  /** Loads client-node (heavy: only when a cluster is needed) and the config. */
  static async connect(opts: ConnectOptions): Promise<Kube> {
    const lib = await import('@kubernetes/client-node');
    return new Kube(lib, loadKubeConfig(lib, opts), opts);
  }

  /**
   * A client for any API group client-node generates (BatchV1Api,
   * NetworkingV1Api, RbacAuthorizationV1Api, ...), on this connection's
   * config; calls go through `call` for retries and one-line errors.
   */
  api<T extends k8s.ApiType>(cls: k8s.ApiConstructor<T>): T {
    return this.config.makeApiClient(cls);
  }

  /** One API call with retries; `what` names it in errors ("list pods in ns"). */
  call<T>(what: string, fn: () => Promise<T>, idempotent = true): Promise<T> {
    return withRetry(what, fn, {
      policy: this.policy,
      idempotent,
      sleep: this.opts.sleep,
      onRetry: this.opts.onRetry,
      server: this.server,
    });
  }

  /** Like `call`, but a 404 yields undefined. */
  async getOrUndefined<T>(
    what: string,
    fn: () => Promise<T>,
  ): Promise<T | undefined> {
    try {
      return await this.call(what, fn);
    } catch (e) {
      if (e instanceof KubeError && e.code === 404) return undefined;
      throw e;
    }
  }

  /**
   * Every item of a list, page by page (`limit`/`continue`). Each page is
   * retried on its own; an expired continue token (410) restarts the list.
   */
  async listAll<T>(
    what: string,
    page: (cont: string | undefined, limit: number) => Promise<ListPage<T>>,
    limit = 500,
  ): Promise<T[]> {
    for (let restart = 0; restart < 3; restart++) {
      const items: T[] = [];
      let cont: string | undefined;
      try {
        do {
          const p = await this.call(what, () => page(cont, limit));
          items.push(...p.items);
          cont = p.metadata?._continue || p.metadata?.continue || undefined;
        } while (cont);
        return items;
      } catch (e) {
        if (!(e instanceof KubeError && e.code === 410)) throw e;
      }
    }
    throw new KubeError(
      `${what}: the list kept expiring while being read (HTTP 410)`,
      410,
      'Expired',
    );
  }

  /** Pod metrics of a namespace, or undefined when metrics.k8s.io is not served. */
  async podMetrics(namespace: string): Promise<k8s.PodMetric[] | undefined> {
    const metrics = new this.lib.Metrics(this.config);
    try {
      const list = await this.call(`read pod metrics in ${namespace}`, () =>
        metrics.getPodMetrics(namespace),
      );
      return list.items;
    } catch (e) {
      const code = describeApiError(e).code;
      if (code === 404 || code === 503 || code === 500) return undefined;
      throw e;
    }
  }

  /** Node metrics, or undefined when metrics.k8s.io is not served. */
  async nodeMetrics(): Promise<k8s.NodeMetric[] | undefined> {
    const metrics = new this.lib.Metrics(this.config);
    try {
      const list = await this.call('read node metrics', () =>
        metrics.getNodeMetrics(),
      );
      return list.items;
    } catch (e) {
      const code = describeApiError(e).code;
      if (code === 404 || code === 503 || code === 500) return undefined;
      throw e;
    }
  }
}
