/** Minimal validation producing 422 Invalid with causes. */
import { isDeepStrictEqual } from 'node:util';
import type { ResourceType } from './registry.js';
import { labelSelectorMatcher } from './selectors.js';
import { type Cause, invalid } from './status.js';
import type { Obj } from './types.js';

const SUBDOMAIN =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

const LABEL_NAMED = new Set(['namespaces', 'services']);

function required(field: string): Cause {
  return { reason: 'FieldValueRequired', message: 'Required value', field };
}
function bad(field: string, value: unknown, msg: string): Cause {
  const v = typeof value === 'string' ? `"${value}"` : JSON.stringify(value);
  return {
    reason: 'FieldValueInvalid',
    message: `Invalid value: ${v}: ${msg}`,
    field,
  };
}

function containers(list: unknown, path: string, causes: Cause[]) {
  if (!Array.isArray(list) || list.length === 0) {
    causes.push(required(`${path}.containers`));
    return;
  }
  (list as Obj[]).forEach((c, i) => {
    const p = `${path}.containers[${i}]`;
    if (!c?.name) causes.push(required(`${p}.name`));
    else if (!LABEL.test(String(c.name)))
      causes.push(bad(`${p}.name`, c.name, LABEL_MSG));
    if (!c?.image) causes.push(required(`${p}.image`));
  });
}

/** Throws 422 Invalid when `obj` is not acceptable. */
export function validate(rt: ResourceType, obj: Obj, cur?: Obj): void {
  const causes: Cause[] = [];
  const name = obj.metadata?.name as string | undefined;
  if (!name)
    causes.push({
      reason: 'FieldValueRequired',
      message: 'Required value: name or generateName is required',
      field: 'metadata.name',
    });
  else if (rt.group === 'rbac.authorization.k8s.io') {
    if (/[/%]/.test(name) || name === '.' || name === '..')
      causes.push(bad('metadata.name', name, "may not contain '/'"));
  } else if (LABEL_NAMED.has(rt.plural) && !rt.group) {
    if (!LABEL.test(name) || name.length > 63)
      causes.push(bad('metadata.name', name, LABEL_MSG));
  } else if (!SUBDOMAIN.test(name) || name.length > 253)
    causes.push(bad('metadata.name', name, SUBDOMAIN_MSG));
  const spec = obj.spec as Obj | undefined;
  const kind = `${rt.group}/${rt.plural}`;
  if (kind === '/pods') containers(spec?.containers, 'spec', causes);
  if (kind === 'apps/deployments' || kind === 'apps/replicasets') {
    if (!spec) causes.push(required('spec'));
    else {
      if (typeof spec.replicas === 'number' && spec.replicas < 0)
        causes.push(
          bad(
            'spec.replicas',
            spec.replicas,
            'must be greater than or equal to 0',
          ),
        );
      if (!spec.selector) causes.push(required('spec.selector'));
      const labels = (spec.template?.metadata?.labels ?? {}) as Record<
        string,
        string
      >;
      if (spec.selector && !labelSelectorMatcher(spec.selector as Obj)(labels))
        causes.push({
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${JSON.stringify(labels)}: \`selector\` does not match template \`labels\``,
          field: 'spec.template.metadata.labels',
        });
      containers(spec.template?.spec?.containers, 'spec.template.spec', causes);
      if (cur && !isDeepStrictEqual(cur.spec?.selector, spec.selector))
        causes.push({
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${JSON.stringify(spec.selector)}: field is immutable`,
          field: 'spec.selector',
        });
    }
  }
  if (kind === 'cert-manager.io/certificates' && spec) {
    if (!spec.secretName) causes.push(required('spec.secretName'));
    if (!spec.issuerRef?.name) causes.push(required('spec.issuerRef.name'));
  }
  if (causes.length) throw invalid(rt.kind, rt.group, name ?? '', causes);
}
