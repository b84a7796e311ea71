import { kubeInputs, namespacesInput } from '../../inputs/groups.js';
import { pushgatewayInput } from '../../inputs/groups-archive.js';
import { input } from '../../inputs/spec.js';
import { changeControlInputs } from '../../plan/change-control.js';

const DAY = 86_400_000;

/** Inputs of cert-rotate (names and defaults are a contract). */
export const certRotateInputs = {
  ...kubeInputs,
  namespaces: namespacesInput(
    'pqc-audit',
    'Namespaces whose cert-manager Certificates are scanned, one per line or comma-separated; * for all namespaces.',
  ),
  selector: input.optionalSelector('selector', {
    description: 'Label selector of the Certificates. Empty: all of them.',
  }),
  within: input.duration('within', {
    default: '60d',
    min: 1000,
    max: 400 * DAY,
    description:
      'A certificate is due when its notAfter is closer than this (also the failure threshold for tls-endpoints and ca-bundles).',
  }),
  includeNotReady: input.boolean('include-not-ready', {
    default: 'true',
    description: 'A Certificate that is not Ready is due too.',
  }),
  waitTimeout: input.duration('wait-timeout', {
    default: '10m',
    timer: true,
    description:
      'How long apply waits for every renewal to finish (new revision, Ready, later notAfter).',
  }),
  clearFailedRequests: input.boolean('clear-failed-requests', {
    default: 'false',
    description:
      'Before renewing a Certificate whose issuance failed, delete its newest failed CertificateRequest (a renewal otherwise waits behind it). Planned and listed like any other change.',
  }),
  tlsEndpoints: input.list('tls-endpoints', {
    description:
      'TLS endpoints whose served chain is read and checked: host:port per line (host:port/sni to send another server name, [v6]:port for IPv6).',
  }),
  caBundles: input.list('ca-bundles', {
    description:
      'PEM files whose every certificate is checked (earliest expiry first), one path per line.',
  }),
  lockNamespace: input.optionalKubeName('lock-namespace', {
    description:
      'Namespace of the Lease held while applying. Empty: the first of namespaces (the kubeconfig context namespace when namespaces is *).',
  }),
  lockName: input.kubeName('lock-name', {
    default: 'pqc-ops-cert-rotate',
    description: 'Lease held while applying, so two runs never renew at once.',
  }),
  ...pushgatewayInput,
  ...changeControlInputs,
};
