/** Status bodies with the exact texts of the real API server. */
import type { Obj } from './types.js';

/** Thrown by handlers; the router turns it into a Status reply. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Obj,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  /** The `Status` body of this error. */
  body(): Obj {
    return statusBody(this.code, this.reason, this.message, this.details);
  }
}

/** A failure `Status` object. */
export function statusBody(
  code: number,
  reason: string,
  message: string,
  details?: Obj,
): Obj {
  const s: Obj = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
  };
  if (details) s.details = details;
  s.code = code;
  return s;
}

/** `plural.group` as used in messages (`deployments.apps`, `pods`). */
export function qualified(plural: string, group: string): string {
  return group ? `${plural}.${group}` : plural;
}

function details(name: string, group: string, plural: string): Obj {
  const d: Obj = { name };
  if (group) d.group = group;
  d.kind = plural;
  return d;
}

export function notFound(plural: string, group: string, name: string) {
  return new ApiError(
    404,
    'NotFound',
    `${qualified(plural, group)} "${name}" not found`,
    details(name, group, plural),
  );
}

export function alreadyExists(plural: string, group: string, name: string) {
  return new ApiError(
    409,
    'AlreadyExists',
    `${qualified(plural, group)} "${name}" already exists`,
    details(name, group, plural),
  );
}

export function conflict(plural: string, group: string, name: string) {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(plural, group)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    details(name, group, plural),
  );
}

export interface Cause {
  reason: string;
  message: string;
  field: string;
}

/** 422 Invalid, with the message built from the causes like the apiserver. */
export function invalid(
  kind: string,
  group: string,
  name: string,
  causes: Cause[],
): ApiError {
  const parts = causes.map((c) => `${c.field}: ${c.message}`);
  const joined = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  const gk = group ? `${kind}.${group}` : kind;
  return new ApiError(422, 'Invalid', `${gk} "${name}" is invalid: ${joined}`, {
    name,
    ...(group ? { group } : {}),
    kind,
    causes: causes.map((c) => ({
      reason: c.reason,
      message: c.message,
      field: c.field,
    })),
  });
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

/** 404 for routes the server does not know. */
export function unknownRoute(): ApiError {
  return new ApiError(
    404,
    'NotFound',
    'the server could not find the requested resource',
    {},
  );
}

export function methodNotAllowed(): ApiError {
  return new ApiError(
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
    {},
  );
}

export function successStatus(details: Obj): Obj {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details,
  };
}
