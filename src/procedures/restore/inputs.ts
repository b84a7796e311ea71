import { input } from '../../inputs/spec.js';
import {
  appdataInputs,
  archiveLocationInputs,
  databaseInputs,
  pushgatewayInput,
  s3Inputs,
} from '../../inputs/groups-archive.js';
import { kubeInputs } from '../../inputs/groups.js';
import { changeControlInputs } from '../../plan/change-control.js';

/** Inputs of the restore procedure. */
export const restoreInputs = {
  ...kubeInputs,
  namespace: input.kubeName('namespace', {
    default: 'pqc-audit',
    description:
      'Namespace the ConfigMaps and Secrets are restored into, and of the pods and the Lease.',
  }),
  ...archiveLocationInputs,
  archive: input.path('archive', {
    description:
      'The archive to restore (a path, or an s3:// object URL, streamed). Empty: the newest archive of prefix in destination.',
  }),
  ...s3Inputs,
  ageIdentity: input.string('age-identity', {
    secret: true,
    description:
      'age identity for an encrypted archive (AGE-SECRET-KEY-1... or AGE-SECRET-KEY-PQ-1...).',
  }),
  components: input.list('components', {
    default: 'database,config,appdata',
    description:
      'What to restore: database, config, appdata (those the archive holds).',
  }),
  ...databaseInputs,
  ...appdataInputs,
  appdataPath: input.string('appdata-path', {
    description:
      'App data directory in the application pod. Empty: the path recorded in the archive.',
  }),
  safetyDestination: input.path('safety-destination', {
    description:
      "Directory for the safety backup taken before apply. Empty: the archive's directory (or its bucket folder, as a multipart upload).",
  }),
  safetyPrefix: input.requiredString('safety-prefix', {
    default: 'pqc-audit-emergency',
    description: 'Prefix of the safety backup archive.',
  }),
  ageRecipients: input.list('age-recipients', {
    description:
      'Recipients of the safety backup. Empty: the recipient of age-identity (the same key as the archive).',
  }),
  allowPlaintextSecrets: input.boolean('allow-plaintext-secrets', {
    default: 'false',
    description: 'Allow a plaintext safety backup that holds Secrets.',
  }),
  lockName: input.kubeName('lock-name', {
    default: 'pqc-ops-backup',
    description:
      'Lease shared with backup, so a restore and a backup of one target never overlap.',
  }),
  lockDuration: input.duration('lock-duration', {
    default: '2h',
    min: 60_000,
    max: 7 * 86_400_000,
    description:
      'Unused since the Lease became short (60 s) and renewed while the restore runs; accepted so existing workflows stay valid.',
  }),
  ...changeControlInputs,
  ...pushgatewayInput,
};
