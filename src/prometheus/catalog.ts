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
  certScanned: {
    name: 'pqc_certificates_scanned',
    help: 'Certificates (cert-manager, TLS endpoints, CA bundles) the last cert-rotate run read.',
  },
  certDue: {
    name: 'pqc_certificates_due',
    help: 'cert-manager Certificates due for renewal at the last cert-rotate run.',
  },
  certRenewed: {
    name: 'pqc_certificates_renewed',
    help: 'Certificates the last cert-rotate run renewed.',
  },
  certFailed: {
    name: 'pqc_certificates_failed',
    help: 'Certificates that failed a check (expired, within the window, renewal failed) at the last cert-rotate run.',
  },
  certQuantumVulnerable: {
    name: 'pqc_certificates_quantum_vulnerable',
    help: 'Certificates whose key or signature algorithm is classical (RSA, ECDSA, EdDSA) at the last cert-rotate run.',
  },
  certEarliestExpiry: {
    name: 'pqc_certificate_earliest_expiry_timestamp_seconds',
    help: 'Unix time of the earliest notAfter among the certificates the last cert-rotate run read.',
  },
  certRotateSuccess: {
    name: 'pqc_cert_rotate_success',
    help: '1 if the last cert-rotate run succeeded, else 0.',
  },
  healthStatus: {
    name: 'pqc_health_status',
    help: 'Outcome of the last health run: 1 ok, 0.5 warning, 0 failed.',
  },
  healthCheck: {
    name: 'pqc_health_check_status',
    help: 'Outcome of each check of the last health run (label check): 1 ok, 0.5 warning, 0 failed.',
  },
  performanceRegression: {
    name: 'pqc_performance_regression',
    help: '1 if the last performance review found a regression in any query, else 0.',
  },
  performanceChange: {
    name: 'pqc_performance_change_ratio',
    help: 'Change of the recent mean against the baseline mean at the last performance review (label query; 0.25 = 25% worse in the direction that is worse).',
  },
  performanceRecentMean: {
    name: 'pqc_performance_recent_mean',
    help: 'Mean of the recent window at the last performance review (label query).',
  },
  performanceBaselineMean: {
    name: 'pqc_performance_baseline_mean',
    help: 'Mean of the baseline window at the last performance review (label query).',
  },
  performanceSuccess: {
    name: 'pqc_performance_success',
    help: '1 if the last performance review ran to the end (whatever it found), else 0.',
  },
  performanceLastRun: {
    name: 'pqc_performance_last_run_timestamp_seconds',
    help: 'Unix time of the last performance review that ran to the end.',
  },
  capacityUtilization: {
    name: 'pqc_capacity_utilization_percent',
    help: 'Utilisation at the end of the window, from the least-squares line, at the last capacity review (label resource).',
  },
  capacityDaysToWarn: {
    name: 'pqc_capacity_days_until_warn',
    help: 'Forecast days until the warn-at level at the last capacity review (label resource); 0 when already above, +Inf when not growing.',
  },
  capacityDaysToFull: {
    name: 'pqc_capacity_days_until_full',
    help: 'Forecast days until 100% at the last capacity review (label resource); +Inf when not growing.',
  },
  capacityFitR2: {
    name: 'pqc_capacity_fit_r_squared',
    help: 'R squared of the least-squares line behind the forecast at the last capacity review (label resource).',
  },
  capacitySuccess: {
    name: 'pqc_capacity_success',
    help: '1 if the last capacity review ran to the end, else 0.',
  },
  complianceScore: {
    name: 'pqc_compliance_score',
    help: 'Compliance score (0-100, checks passed weighted by severity) at the last compliance audit.',
  },
  complianceFindings: {
    name: 'pqc_compliance_findings',
    help: 'Findings at the last compliance audit (label severity).',
  },
  complianceControl: {
    name: 'pqc_compliance_control_passed',
    help: 'NIST SP 800-53 control status at the last compliance audit (label control): 1 every check passed, 0 a finding.',
  },
  complianceSuccess: {
    name: 'pqc_compliance_success',
    help: '1 if the last compliance audit ran to the end and passed its fail-below and fail-on gates, else 0.',
  },
  drRto: {
    name: 'pqc_dr_rto_seconds',
    help: 'Recovery time of the last DR test: from the simulated database failure to the service healthy again.',
  },
  drRpo: {
    name: 'pqc_dr_rpo_seconds',
    help: 'Recovery point of the last DR test: age of the restored data (its backup start) at the simulated failure.',
  },
  lastMaintenance: {
    name: 'pqc_last_maintenance_timestamp',
    help: 'Unix time of the last maintenance run that succeeded.',
  },
  maintenanceTasks: {
    name: 'pqc_maintenance_tasks_total',
    help: 'Maintenance tasks run, by task_type; a counter across runs.',
  },
  maintenanceTaskStatus: {
    name: 'pqc_maintenance_task_status',
    help: 'Outcome of each procedure (label task_type) of the last maintenance run: 1 ok, 0.5 warning, 0 failed.',
  },
  maintenanceSuccess: {
    name: 'pqc_maintenance_success',
    help: '1 if every procedure of the last maintenance run succeeded, else 0.',
  },
} as const;

/** The Pushgateway job of each procedure that pushes. */
export const JOBS = {
  backup: 'pqc-ops-backup',
  backupVerify: 'pqc-ops-backup-verify',
  capacity: 'pqc-ops-capacity',
  certRotate: 'pqc-ops-cert-rotate',
  compliance: 'pqc-ops-compliance',
  drTest: 'pqc-ops-dr-test',
  health: 'pqc-ops-health',
  maintenance: 'pqc-ops-maintenance',
  performance: 'pqc-ops-performance',
} as const;

/** A gauge of a catalogued metric, with labels when given. */
export function gauge(
  m: { name: string; help: string },
  value: number,
  labels?: Record<string, string>,
): Gauge {
  return { name: m.name, help: m.help, value, ...(labels ? { labels } : {}) };
}
