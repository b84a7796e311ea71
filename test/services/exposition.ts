/** One sample line of the Prometheus text exposition format. */
export interface ExpositionSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** Milliseconds since the epoch, when the line carries one. */
  timestamp?: number;
}

/** Parses a Prometheus sample value, including `NaN`, `+Inf` and `-Inf`. */
export function parseValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const n = Number(text);
  if (text.trim() === '' || Number.isNaN(n))
    throw new Error(`not a sample value: ${text}`);
  return n;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const ESCAPES: Record<string, string> = { n: '\n', '\\': '\\', '"': '"' };

function parseLabels(
  line: string,
  start: number,
): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  let i = start + 1;
  for (;;) {
    while (line[i] === ' ' || line[i] === ',') i++;
    if (line[i] === '}') return [labels, i + 1];
    const key = NAME.exec(line.slice(i))?.[0];
    if (
      !key ||
      line[i + key.length] !== '=' ||
      line[i + key.length + 1] !== '"'
    ) {
      throw new Error(`bad label set at column ${i}: ${line}`);
    }
    i += key.length + 2;
    let value = '';
    while (line[i] !== '"') {
      if (i >= line.length)
        throw new Error(`unterminated label value: ${line}`);
      if (line[i] === '\\') {
        const next = line[i + 1] ?? '';
        value += ESCAPES[next] ?? `\\${next}`;
        i += 2;
      } else value += line[i++];
    }
    labels[key] = value;
    i++;
  }
}

/**
 * Parses the Prometheus text exposition format (as served by `/metrics`)
 * into samples; `# HELP` and `# TYPE` lines are skipped.
 */
export function parseExposition(text: string): ExpositionSample[] {
  const samples: ExpositionSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const name = NAME.exec(line)?.[0];
    if (!name) throw new Error(`bad sample line: ${line}`);
    let labels: Record<string, string> = {};
    let rest = name.length;
    if (line[rest] === '{') [labels, rest] = parseLabels(line, rest);
    const [value, timestamp] = line.slice(rest).split(/\s+/).filter(Boolean);
    if (value === undefined) throw new Error(`sample without value: ${line}`);
    const sample: ExpositionSample = { name, labels, value: parseValue(value) };
    if (timestamp !== undefined) sample.timestamp = Number(timestamp);
    samples.push(sample);
  }
  return samples;
}
