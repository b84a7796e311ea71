import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventLine, type Diagnosis } from '../../kube/diagnosis.js';
import { table } from '../../report/markdown.js';
import type { IncidentRun } from './shared.js';

/** The diagnosis as text: pods, events by time, every log (current and previous). */
export function diagnosisText(d: Diagnosis): string {
  const out: string[] = ['# Pods', ''];
  for (const i of d.images)
    out.push(
      [
        i.pod,
        i.container,
        i.state,
        `restarts=${i.restarts}`,
        `node=${i.node}`,
        i.image,
        i.digest ?? '',
      ].join('\t'),
    );
  out.push('', '# Events (oldest first)', '', ...d.events.map(eventLine), '');
  for (const l of d.logs) {
    out.push(`# Log ${l.pod}/${l.container} (current)`, l.current ?? '', '');
    out.push(
      `# Log ${l.pod}/${l.container} (previous)`,
      l.previous ?? '(no previous container)',
      '',
    );
  }
  return out.join('\n');
}

/** The diagnosis in the record: pods and events tables, logs folded. */
export function diagnosisMarkdown(d: Diagnosis, lines: number): string {
  const pods = table(
    ['Pod', 'Container', 'State', 'Restarts', 'Node', 'Image'],
    d.images.map((i) => [
      i.pod,
      i.container,
      i.state,
      i.restarts,
      i.node,
      i.image,
    ]),
  );
  const events = d.events.slice(-50).map((e) => eventLine(e).split('\t'));
  const logs = d.logs.map((l) =>
    [
      `<details><summary>${l.pod}/${l.container}: last ${lines} lines${l.previous === undefined ? '' : ' (and the previous container)'}</summary>`,
      '',
      '```text',
      (l.current ?? '').replace(/```/g, "'''").trimEnd(),
      ...(l.previous === undefined
        ? []
        : ['--- previous ---', l.previous.replace(/```/g, "'''").trimEnd()]),
      '```',
      '',
      '</details>',
    ].join('\n'),
  );
  return [
    '#### Diagnosis',
    '',
    d.images.length ? pods : 'No pod matches the selector.',
    '',
    d.events.length
      ? table(['When', 'Type', 'Reason', 'Object', 'Count', 'Message'], events)
      : 'No events.',
    '',
    ...logs,
  ].join('\n');
}

/** Writes the diagnosis file next to the reports and records it as an artifact. */
export async function keepDiagnosis(
  r: IncidentRun,
  d: Diagnosis,
): Promise<string> {
  const dir = join(r.ctx.outputDir, 'incident');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const stamp = r.ctx.now().toISOString().replace(/[:.]/g, '-');
  const path = join(dir, `outage-diagnosis-${stamp}.txt`);
  const text = diagnosisText(d);
  await writeFile(path, text, { mode: 0o600 });
  r.rb.artifacts.push({
    path,
    sha256: createHash('sha256').update(text).digest('hex'),
    size: Buffer.byteLength(text),
  });
  r.rb.details.push(diagnosisMarkdown(d, r.o.logLines));
  return path;
}
