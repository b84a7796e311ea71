/** Every component judged against the policy, and what that means for the record. */
import { table } from '../../report/markdown.js';
import type { Check, Status } from '../../report/step-result.js';
import type { Component, Kind } from './collect.js';
import {
  judge,
  normalizePackage,
  normalizeRepository,
  type Judgement,
  type Policy,
  type Rule,
} from './policy.js';

/** The kinds of finding, each a metric label. */
export const FINDING_KINDS = [
  'end-of-life',
  'end-of-life-soon',
  'below-minimum',
] as const;
type FindingKind = (typeof FINDING_KINDS)[number];

/** A component with the policy's judgement. */
export interface Judged extends Component {
  judgement: Judgement;
}

/** What was read of one kind: components, or why none. */
export interface Reading {
  components: Component[];
  /** The reading failed: the inventory is incomplete. */
  error?: string;
  /** Not asked for, or not possible here (no pip in the pod). */
  skipped?: string;
  /** Something to say beside the components (cert-manager not found). */
  note?: string;
}

const LABEL: Record<Kind, string> = {
  kubernetes: 'Kubernetes',
  'cert-manager': 'cert-manager',
  postgresql: 'PostgreSQL',
  prometheus: 'Prometheus',
  image: 'image',
  'python-package': 'Python package',
};

/** The rule of the policy for a component. */
function ruleFor(p: Policy, c: Component): Rule | undefined {
  if (c.kind === 'image') return p.images.get(normalizeRepository(c.name));
  if (c.kind === 'python-package')
    return p.pythonPackages.get(normalizePackage(c.name));
  return p.products[c.kind];
}

/** Judges every component. */
export function judgeAll(
  cs: Component[],
  p: Policy,
  nowMs: number,
  horizonMs: number,
): Judged[] {
  return cs.map((c) => ({
    ...c,
    judgement: judge(c.version, ruleFor(p, c), nowMs, horizonMs),
  }));
}

/** Whether a judgement is a finding. */
export function isFinding(
  j: Judgement,
): j is Extract<Judgement, { kind: FindingKind }> {
  return (FINDING_KINDS as readonly string[]).includes(j.kind);
}

/** A judgement the policy could not make although it has rules for the component. */
function policyGap(j: Judgement): string | undefined {
  return j.kind === 'unknown' && j.why !== 'not in the policy'
    ? j.why
    : undefined;
}

/** "PostgreSQL 15.18", "image docker.io/library/postgres:13". */
export function describe(c: Component): string {
  if (c.kind === 'image') return `image ${c.image ?? c.name}`;
  if (c.kind === 'python-package')
    return `Python package ${c.name} ${c.version ?? ''}`.trim();
  return `${LABEL[c.kind]} ${c.version ?? '(version unknown)'}`;
}

/** The support column of the table. */
function supportText(j: Judgement): string {
  switch (j.kind) {
    case 'end-of-life':
      return `end of life ${j.eol.date} (release ${j.eol.release})`;
    case 'end-of-life-soon':
      return `support ends ${j.eol.date}, in ${j.days} days (release ${j.eol.release})`;
    case 'below-minimum':
      return `below the minimum ${j.minimum}`;
    case 'supported':
      return j.eol
        ? `supported until ${j.eol.date} (release ${j.eol.release})`
        : 'at or above the minimum';
    case 'unknown':
      return j.why;
  }
}

/** The next maintenance item of a finding. */
export function followUp(c: Judged, source: string): string | undefined {
  const j = c.judgement;
  const what = `${describe(c)} (${c.where})`;
  switch (j.kind) {
    case 'end-of-life':
      return `Inventory: ${what} reached its end of life on ${j.eol.date} (release ${j.eol.release}, ${source}): upgrade it.`;
    case 'end-of-life-soon':
      return `Inventory: ${what}: support of release ${j.eol.release} ends ${j.eol.date}, in ${j.days} days (${source}): plan the upgrade before then.`;
    case 'below-minimum':
      return `Inventory: ${what} is below the policy's minimum ${j.minimum} (${source}): upgrade it.`;
    default: {
      const gap = policyGap(j);
      return gap
        ? `Inventory: ${what}: ${gap}; add it to the policy (${source}).`
        : undefined;
    }
  }
}

/** One check per kind of component. */
export function kindCheck(
  kind: Kind,
  reading: Reading,
  judged: Judged[],
  o: { failOn: 'out-of-support' | 'horizon' | 'never'; horizonDays: number },
): Check {
  const name =
    kind === 'image'
      ? 'images'
      : kind === 'python-package'
        ? 'python packages'
        : kind;
  const threshold = `supported by the policy, support not ending within ${o.horizonDays} days`;
  if (reading.error)
    return {
      name,
      status: 'failed',
      observed: `not read: ${reading.error}`,
      threshold,
    };
  if (reading.skipped)
    return { name, status: 'skipped', observed: reading.skipped };
  const out = judged.filter((c) =>
    ['end-of-life', 'below-minimum'].includes(c.judgement.kind),
  );
  const soon = judged.filter((c) => c.judgement.kind === 'end-of-life-soon');
  const gaps = judged.filter((c) => policyGap(c.judgement));
  let status: Status = 'ok';
  if (soon.length || gaps.length || reading.note) status = 'warning';
  if (soon.length && o.failOn === 'horizon') status = 'failed';
  if (out.length) status = o.failOn === 'never' ? 'warning' : 'failed';
  const bad = [...out, ...soon, ...gaps];
  return {
    name,
    status,
    observed: observedText(kind, reading, judged),
    threshold,
    ...(bad.length || reading.note
      ? {
          detail: [
            ...(reading.note ? [reading.note] : []),
            ...bad
              .slice(0, 5)
              .map((c) => `${describe(c)}: ${supportText(c.judgement)}`),
          ].join('; '),
        }
      : {}),
  };
}

function observedText(kind: Kind, r: Reading, judged: Judged[]): string {
  if (kind === 'image') {
    const digests = judged.filter((c) => c.digest).length;
    return `${judged.length} image(s), ${digests} with a digest`;
  }
  if (kind === 'python-package')
    return `${judged.length} outdated package(s)${judged[0] ? ` in ${judged[0].where}` : ''}`;
  if (!judged.length) return r.note ?? 'nothing found';
  return judged
    .map((c) => `${c.version ?? '?'}${c.detail ? ` (${c.detail})` : ''}`)
    .join(', ');
}

/** The table of everything that runs. */
export function componentTable(judged: Judged[]): string {
  return table(
    ['Kind', 'Component', 'Version', 'Digest', 'Where', 'Support'],
    judged.map((c) => [
      LABEL[c.kind],
      c.kind === 'image' ? (c.image ?? c.name) : c.name,
      c.kind === 'python-package' && c.latest
        ? `${c.version ?? ''} (latest ${c.latest})`
        : (c.version ?? '—'),
      c.digest ? `\`${c.digest}\`` : '',
      c.where,
      isFinding(c.judgement)
        ? `**${supportText(c.judgement)}**`
        : supportText(c.judgement),
    ]),
  );
}
