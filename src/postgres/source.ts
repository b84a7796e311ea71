import { ConfigurationError } from '../errors.js';
import type { Kube } from '../kube/client.js';
import { resolvePod } from '../kube/pods.js';
import { podEndpoint, urlEndpoint, type PgEndpoint } from './endpoint.js';
import { parsePgUrl } from './url.js';
import { LocalRunner } from '../process/runner.js';

/** The database source inputs, validated. */
export interface DbSourceOptions {
  databaseUrl: string | undefined;
  postgresPod: string | undefined;
  postgresSelector: string | undefined;
  postgresContainer: string | undefined;
  database: string;
  databaseUser: string;
}

/** Which database path the inputs choose; throws ConfigurationError when unclear. */
export function databaseMode(
  o: DbSourceOptions,
  required: boolean,
): 'url' | 'exec' | undefined {
  const byPod = Boolean(o.postgresPod || o.postgresSelector);
  if (o.databaseUrl && byPod) {
    throw new ConfigurationError(
      "give either input 'database-url' or 'postgres-pod'/'postgres-selector', not both",
    );
  }
  if (o.postgresPod && o.postgresSelector) {
    throw new ConfigurationError(
      "give either input 'postgres-pod' or 'postgres-selector', not both",
    );
  }
  if (o.databaseUrl) return 'url';
  if (byPod) return 'exec';
  if (required) {
    throw new ConfigurationError(
      "the database component needs a source: set input 'database-url' (a postgres:// URL) or 'postgres-pod'/'postgres-selector'",
    );
  }
  return undefined;
}

/** The endpoint for the chosen path. */
export async function databaseEndpoint(
  o: DbSourceOptions,
  mode: 'url' | 'exec',
  kube: Kube | undefined,
  namespace: string,
  mask: (s: string) => void,
): Promise<PgEndpoint> {
  if (mode === 'url')
    return urlEndpoint(
      parsePgUrl(o.databaseUrl ?? '', 'database-url', mask),
      new LocalRunner(),
    );
  if (!kube)
    throw new ConfigurationError(
      "the exec path (postgres-pod/postgres-selector) needs cluster credentials: set input 'kubeconfig'",
    );
  const runner = await resolvePod(kube, namespace, {
    pod: o.postgresPod,
    selector: o.postgresSelector,
    container: o.postgresContainer,
    what: 'database pod',
  });
  return podEndpoint(runner, o.database, o.databaseUser);
}
