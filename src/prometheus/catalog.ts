import type { Gauge } from './pushgateway.js';

/**
 * Every metric the suite pushes: name and help text, written once. The alert
 * rules and the dashboard refer to these names.
 */
export const METRICS = {
  backupSuccess: {
    name: 'pqc_backup_success',
    help: '1 if the last backup run succeeded, else 0.',
  },
  backupDuration: {
    name: 'pqc_backup_duration_seconds',
    help: 'Duration of the last backup run.',
  },
  backupSize: {
    name: 'pqc_backup_size_bytes',
    help: 'Size of the last archive written.',
  },
  backupLastSuccess: {
    name: 'pqc_backup_last_success_timestamp_seconds',
    help: 'Unix time of the last successful backup.',
  },
  verifySuccess: {
    name: 'pqc_backup_verify_success',
    help: '1 if the last backup verification passed, else 0.',
  },
  verifyArchiveAge: {
    name: 'pqc_backup_verify_archive_age_seconds',
    help: 'Age of the archive the last verification read.',
  },
  verifyLastSuccess: {
    name: 'pqc_backup_verify_last_success_timestamp_seconds',
    help: 'Unix time of the last successful verification.',
  },
} as const;

/** The Pushgateway job of each procedure that pushes. */
export const JOBS = {
  backup: 'pqc-ops-backup',
  backupVerify: 'pqc-ops-backup-verify',
} as const;

/** A gauge of a catalogued metric. */
export function gauge(m: { name: string; help: string }, value: number): Gauge {
  return { name: m.name, help: m.help, value };
}
