import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Recipients } from '../../archive/age.js';
import {
  writeArchive,
  type MemberSource,
} from '../../archive/archive-writer.js';
import { MEMBERS } from '../../archive/manifest.js';
import { archiveName } from '../../archive/naming.js';
import { diagnose, eventLine, type Diagnosis } from '../../kube/diagnosis.js';
import type { IncidentRun } from './shared.js';

/** The evidence archive's name prefix: `incident-evidence_<UTC stamp>.tar[.age]`. */
export const EVIDENCE_PREFIX = 'incident-evidence';

/** What the evidence archive holds besides the logs, for the record. */
export interface Evidence {
  path: string;
  sha256: string;
  size: number;
  members: number;
  encrypted: boolean;
}

function member(name: string, text: string): MemberSource {
  const data = Buffer.from(text, 'utf8');
  return {
    name,
    data,
    size: data.length,
    sha256: createHash('sha256').update(data).digest('hex'),
  };
}

/** Logs as members `log-NNN-current.txt` / `-previous.txt`, with an index. */
function logMembers(d: Diagnosis): MemberSource[] {
  const out: MemberSource[] = [];
  const index: string[] = ['member\tpod\tcontainer\twhich'];
  d.logs.forEach((l, i) => {
    const n = String(i + 1).padStart(3, '0');
    for (const [which, text] of [
      ['current', l.current],
      ['previous', l.previous],
    ] as const) {
      if (text === undefined) continue;
      const name = `log-${n}-${which}.txt`;
      index.push([name, l.pod, l.container, which].join('\t'));
      out.push(member(name, text));
    }
  });
  return [member('logs.tsv', index.join('\n') + '\n'), ...out];
}

/** Every forensic member: pod specs, events by time, images and nodes, logs. */
function evidenceMembers(
  d: Diagnosis,
  previousSecret: string | undefined,
  secretName: string,
): MemberSource[] {
  const wire = (x: unknown) => JSON.parse(JSON.stringify(x)) as unknown;
  const images = [
    'pod\tcontainer\timage\tdigest\tnode\trestarts\tstate',
    ...d.images.map((i) =>
      [
        i.pod,
        i.container,
        i.image,
        i.digest ?? '',
        i.node,
        i.restarts,
        i.state,
      ].join('\t'),
    ),
  ];
  const members = [
    member(
      'pods.yaml',
      d.pods.map((p) => stringify(wire(p), { lineWidth: 0 })).join('---\n'),
    ),
    member(
      'events.tsv',
      ['time\ttype\treason\tobject\tcount\tmessage', ...d.events.map(eventLine)]
        .join('\n')
        .concat('\n'),
    ),
    member('images.tsv', images.join('\n') + '\n'),
    ...logMembers(d),
  ];
  if (previousSecret !== undefined)
    members.push(member(`secret-${secretName}-previous.env`, previousSecret));
  return members;
}

/**
 * Collects the forensic evidence (logs of every container, current and
 * previous; events by time; pod specs; image digests; node names) into one
 * archive: manifest.json first, SHA256SUMS (`sha256sum -c`), the members,
 * manifest.sha256 last; encrypted to `recipients` when given. The previous
 * secret values go in only when encrypted (validate refuses otherwise).
 */
export async function collectEvidence(
  r: IncidentRun,
  recipients: Recipients | undefined,
  previousSecret: string | undefined,
): Promise<Evidence> {
  const { o, ctx } = r;
  if (previousSecret !== undefined && !recipients)
    throw new Error(
      'previous secret values are kept only in an encrypted archive',
    );
  const d = await diagnose(r.kube, {
    namespace: o.namespace,
    selector: o.selector,
    deployment: o.deployment,
    lines: o.logLines,
  });
  const members = evidenceMembers(d, previousSecret, o.secretName);
  const sums = member(
    'SHA256SUMS',
    members.map((m) => `${m.sha256}  ${m.name}\n`).join(''),
  );
  const at = ctx.now();
  const manifest = member(
    MEMBERS.manifest,
    JSON.stringify(
      {
        format: 'pqc-ops-incident-evidence',
        version: 1,
        createdAt: at.toISOString(),
        collectedBy: r.tl.actor,
        cluster: r.kube.server,
        namespace: o.namespace,
        selector: o.selector,
        deployment: o.deployment,
        pods: d.pods.map((p) => p.metadata?.name ?? ''),
        members: [...members, sums].map((m) => ({
          name: m.name,
          size: m.size,
          sha256: m.sha256,
        })),
      },
      null,
      1,
    ) + '\n',
  );
  const dir = o.evidenceDir ?? join(ctx.outputDir, 'evidence');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const written = await writeArchive({
    dir,
    name: archiveName(EVIDENCE_PREFIX, at, recipients !== undefined),
    members: [manifest, sums, ...members],
    recipients,
    mtime: at,
  });
  return {
    ...written,
    members: members.length + 2,
    encrypted: recipients !== undefined,
  };
}
