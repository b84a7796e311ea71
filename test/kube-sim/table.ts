/** Server-side printing (meta.k8s.io/v1 Table) for `kubectl get`. */
import type { Obj } from './types.js';

/** Did the client ask for a Table (kubectl get without -o)? */
export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept.split(',')[0]);
}

/** kubectl's short durations: 45s, 5m, 3h, 2d. */
export function age(ts: string | undefined): string {
  if (!ts) return '<unknown>';
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 3600 * 2) return `${Math.floor(s / 60)}m`;
  if (s < 86400 * 2) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

type Col = [
  name: string,
  type: string,
  cell: (o: Obj) => unknown,
  priority?: number,
];

const name: Col = ['Name', 'string', (o) => o.metadata.name];
const ageCol: Col = [
  'Age',
  'string',
  (o) => age(o.metadata.creationTimestamp as string),
];

function podStatus(o: Obj): string {
  if (o.metadata.deletionTimestamp) return 'Terminating';
  for (const c of (o.status?.containerStatuses ?? []) as Obj[]) {
    if (c.state?.waiting?.reason) return String(c.state.waiting.reason);
    if (c.state?.terminated?.reason) return String(c.state.terminated.reason);
  }
  return String(o.status?.phase ?? 'Pending');
}

const COLUMNS: Record<string, Col[]> = {
  Pod: [
    name,
    [
      'Ready',
      'string',
      (o) => {
        const cs = (o.status?.containerStatuses ?? []) as Obj[];
        const n = ((o.spec?.containers ?? []) as Obj[]).length;
        return `${cs.filter((c) => c.ready).length}/${n}`;
      },
    ],
    ['Status', 'string', podStatus],
    [
      'Restarts',
      'string',
      (o) =>
        String(
          ((o.status?.containerStatuses ?? []) as Obj[]).reduce(
            (a, c) => a + Number(c.restartCount ?? 0),
            0,
          ),
        ),
    ],
    ageCol,
    ['IP', 'string', (o) => o.status?.podIP ?? '<none>', 1],
    ['Node', 'string', (o) => o.spec?.nodeName ?? '<none>', 1],
  ],
  Deployment: [
    name,
    [
      'Ready',
      'string',
      (o) =>
        `${Number(o.status?.readyReplicas ?? 0)}/${Number(o.spec?.replicas ?? 0)}`,
    ],
    ['Up-to-date', 'integer', (o) => o.status?.updatedReplicas ?? 0],
    ['Available', 'integer', (o) => o.status?.availableReplicas ?? 0],
    ageCol,
  ],
  ReplicaSet: [
    name,
    ['Desired', 'integer', (o) => o.spec?.replicas ?? 0],
    ['Current', 'integer', (o) => o.status?.replicas ?? 0],
    ['Ready', 'integer', (o) => o.status?.readyReplicas ?? 0],
    ageCol,
  ],
  Certificate: [
    name,
    [
      'Ready',
      'string',
      (o) =>
        ((o.status?.conditions ?? []) as Obj[]).find((c) => c.type === 'Ready')
          ?.status ?? '',
    ],
    ['Secret', 'string', (o) => o.spec?.secretName ?? ''],
    ageCol,
  ],
  ConfigMap: [
    name,
    ['Data', 'integer', (o) => Object.keys((o.data ?? {}) as Obj).length],
    ageCol,
  ],
  Secret: [
    name,
    ['Type', 'string', (o) => o.type ?? 'Opaque'],
    ['Data', 'integer', (o) => Object.keys((o.data ?? {}) as Obj).length],
    ageCol,
  ],
  Namespace: [
    name,
    ['Status', 'string', (o) => o.status?.phase ?? 'Active'],
    ageCol,
  ],
  Event: [
    [
      'Last Seen',
      'string',
      (o) => age((o.lastTimestamp ?? o.eventTime) as string),
    ],
    ['Type', 'string', (o) => o.type ?? ''],
    ['Reason', 'string', (o) => o.reason ?? ''],
    [
      'Object',
      'string',
      (o) =>
        `${String(o.involvedObject?.kind ?? '').toLowerCase()}/${String(o.involvedObject?.name ?? '')}`,
    ],
    ['Message', 'string', (o) => o.message ?? ''],
  ],
};

/** Convert an object or list to a Table; other bodies are returned as-is. */
export function toTable(body: Obj): Obj {
  const isList = Array.isArray(body.items);
  if (!isList && !body.metadata?.name) return body;
  if (typeof body.kind !== 'string' || body.kind === 'Status') return body;
  const kind = isList ? body.kind.replace(/List$/, '') : body.kind;
  const cols = COLUMNS[kind] ?? [name, ageCol];
  const items = (isList ? body.items : [body]) as Obj[];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: {
      resourceVersion: body.metadata?.resourceVersion,
      ...(body.metadata?.continue ? { continue: body.metadata.continue } : {}),
    },
    columnDefinitions: cols.map(([n, type, , priority]) => ({
      name: n,
      type,
      format: n === 'Name' ? 'name' : '',
      description: n,
      priority: priority ?? 0,
    })),
    rows: items.map((o) => ({
      cells: cols.map(([, , f]) => f(o)),
      object: {
        kind: 'PartialObjectMetadata',
        apiVersion: 'meta.k8s.io/v1',
        metadata: o.metadata,
      },
    })),
  };
}
