import { ConfigurationError } from '../../errors.js';
import { checkPrefix, readerLocations } from '../../inputs/groups-archive.js';
import { databaseMode } from '../../postgres/source.js';
import { parsePgUrl } from '../../postgres/url.js';
import type { IncidentOptions } from './inputs.js';

/** Rules of data-corruption's inputs, before anything is touched. */
export function validateCorruption(o: IncidentOptions): void {
  if (!o.destination)
    throw new ConfigurationError(
      "input 'destination' is required for data-corruption: the directory or s3:// folder of the archives (the emergency backup goes there too)",
    );
  checkPrefix(o.prefix, 'prefix');
  checkPrefix(o.emergencyPrefix, 'emergency-prefix');
  if (o.emergencyPrefix === o.prefix)
    throw new ConfigurationError(
      "input 'emergency-prefix' must differ from 'prefix': the emergency backup holds the corrupted data and must never be restored as the last good archive",
    );
  readerLocations({ ...o, archive: undefined });
  if (databaseMode(o, true) === 'url')
    parsePgUrl(o.databaseUrl ?? '', 'database-url', () => undefined);
}
