/**
 * The policy inventory uses when input `policy` is empty. Maintained here:
 * update it when a release line is published or its end of life is moved
 * (the report notes a running release line the policy does not list).
 * Only dates read from the projects' own release pages are listed.
 */
export const DEFAULT_POLICY = `# pqc-ops inventory: the default version policy.
# Sections: kubernetes, postgresql, cert-manager, prometheus, images (by
# repository) and python-packages (by name). Each may give
#   minimum: a version below which the component is out of support by policy
#   end-of-life: a release line ("1.33", "15") and the date its support ends
# A date is the last day of support: from the day after, it is out of support.

kubernetes:
  # Older minors are past their end of life (1.30 ended 2025-07-15,
  # kubernetes.io/releases/1.30), and so are 1.31 and 1.32, which came before
  # 1.33.
  minimum: '1.33'
  end-of-life:
    # kubernetes.io/releases/<minor>: "End Of Life Date".
    '1.33': 2026-06-28
    '1.34': 2026-10-27
    '1.35': 2027-02-28
    '1.36': 2027-06-28
    '1.37': 2027-10-28

postgresql:
  # 12 and older are past their end of life (12.22, November 21, 2024, was
  # its final release: postgresql.org/support/versioning).
  minimum: '13'
  end-of-life:
    # postgresql.org/support/versioning: "Final Release", five years after
    # each major's first release.
    '13': 2025-11-13
    '14': 2026-11-12
    '15': 2027-11-11
    '16': 2028-11-09
    '17': 2029-11-08
    '18': 2030-11-14

# cert-manager (cert-manager.io/docs/releases) and Prometheus
# (prometheus.io/docs/introduction/release-cycle: only LTS lines have a
# published end) set no dates here; add the lines you run, for example
#   cert-manager:
#     minimum: '1.16'
cert-manager: {}
prometheus: {}

# images:
#   docker.io/library/postgres:
#     minimum: '15'
images: {}

# python-packages:
#   cryptography:
#     minimum: '44.0.1'
python-packages: {}
`;
