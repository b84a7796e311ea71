/** The pqc-ops version, written into every manifest and shown by the CLI. */
export const PQC_OPS_VERSION = '0.1.0';
