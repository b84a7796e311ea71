/**
 * Kubernetes resource quantities: CPU to cores ("250m", "253011429n", "2"),
 * memory to bytes ("51200Ki", "1Gi", "128M", "1e9").
 */
const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** Parses any quantity to a plain number in base units; NaN when malformed. */
export function parseQuantity(q: string | number | undefined): number {
  if (q === undefined) return NaN;
  if (typeof q === 'number') return q;
  const m = /^([+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)([a-zA-Z]*)$/.exec(q.trim());
  if (!m) return NaN;
  const mult = SUFFIX[m[2] ?? ''];
  return mult === undefined ? NaN : Number(m[1]) * mult;
}

/** Cores as a short human string: "250m", "1.5". */
export function formatCpu(cores: number): string {
  return cores < 1 ? `${Math.round(cores * 1000)}m` : `${+cores.toFixed(2)}`;
}

/** Bytes as a short human string in binary units: "50Mi". */
export function formatBytes(b: number): string {
  const units = ['', 'Ki', 'Mi', 'Gi', 'Ti'];
  let v = b;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${+v.toFixed(1)}${units[i]}${i === 0 ? 'B' : ''}`;
}
