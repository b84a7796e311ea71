/**
 * The NIST SP 800-53 Rev. 5 controls the findings map to, with their titles,
 * and the severities a finding can have.
 */

/** Control identifier -> title (SP 800-53 Rev. 5). */
export const CONTROLS: Record<string, string> = {
  'AC-3': 'Access Enforcement',
  'AC-4': 'Information Flow Enforcement',
  'AC-6': 'Least Privilege',
  'AU-6': 'Audit Record Review, Analysis, and Reporting',
  'CA-2': 'Control Assessments',
  'CA-7': 'Continuous Monitoring',
  'CM-2': 'Baseline Configuration',
  'CM-6': 'Configuration Settings',
  'CM-7': 'Least Functionality',
  'IA-5': 'Authenticator Management',
  'SC-6': 'Resource Availability',
  'SC-7': 'Boundary Protection',
  'SC-7(5)': 'Boundary Protection | Deny by Default — Allow by Exception',
  'SC-8': 'Transmission Confidentiality and Integrity',
  'SC-13': 'Cryptographic Protection',
  'SC-39': 'Process Isolation',
  'SI-4': 'System Monitoring',
  'SI-7': 'Software, Firmware, and Information Integrity',
};

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Weight of a check in the score, by severity. */
export const WEIGHT: Record<Severity, number> = {
  critical: 4,
  high: 3,
  medium: 2,
  low: 1,
};

/** Whether `s` is at `floor` or more severe. */
export function atLeast(s: Severity, floor: Severity): boolean {
  return SEVERITIES.indexOf(s) <= SEVERITIES.indexOf(floor);
}

/** Sort key of a control: family, number, enhancement (AC-6 < AC-6(9) < AC-17). */
export function controlOrder(a: string, b: string): number {
  const parse = (c: string) => {
    const m = /^([A-Z]{2})-(\d+)(?:\((\d+)\))?$/.exec(c);
    return [m?.[1] ?? c, Number(m?.[2] ?? 0), Number(m?.[3] ?? 0)] as const;
  };
  const [fa, na, ea] = parse(a);
  const [fb, nb, eb] = parse(b);
  return fa.localeCompare(fb) || na - nb || ea - eb;
}

/** One check made against one object: passed, or a finding. */
export interface Evaluation {
  /** The rule's id: privileged, network-default-deny, rbac-forbidden... */
  rule: string;
  severity: Severity;
  /** The object checked: "Deployment pqc-audit/web container web". */
  object: string;
  controls: string[];
  passed: boolean;
  /** For a finding: what is wrong. */
  message?: string;
  /** For a finding: how to fix it. */
  fix?: string;
}
