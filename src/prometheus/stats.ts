/** The few statistics the reviews need, written out so a test can redo them. */

/** Arithmetic mean; NaN for no values. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** An ordinary least-squares line through (x, y) points and how well it fits. */
export interface LinearFit {
  /** y at x = 0. */
  intercept: number;
  /** Change of y per unit of x. */
  slope: number;
  /** Coefficient of determination, 0..1 (1 when y does not vary and the line is exact). */
  r2: number;
  /** Standard error of the residuals (n - 2 degrees of freedom), in y's unit. */
  residualStdError: number;
  n: number;
}

/**
 * Least squares y = intercept + slope * x. Undefined for fewer than three
 * points or when every x is the same (no line can be fitted).
 */
export function linearFit(
  points: readonly (readonly [number, number])[],
): LinearFit | undefined {
  const n = points.length;
  if (n < 3) return undefined;
  const mx = mean(points.map((p) => p[0]));
  const my = mean(points.map((p) => p[1]));
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const [x, y] of points) {
    sxx += (x - mx) ** 2;
    sxy += (x - mx) * (y - my);
    syy += (y - my) ** 2;
  }
  if (sxx === 0) return undefined;
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let sse = 0;
  for (const [x, y] of points) sse += (y - (intercept + slope * x)) ** 2;
  return {
    intercept,
    slope,
    r2: syy === 0 ? 1 : Math.max(0, 1 - sse / syy),
    residualStdError: Math.sqrt(sse / (n - 2)),
    n,
  };
}

/** A fit's quality in words, by R²: good from 0.8, fair from 0.5, else poor. */
export function fitQuality(f: LinearFit): 'good' | 'fair' | 'poor' {
  return f.r2 >= 0.8 ? 'good' : f.r2 >= 0.5 ? 'fair' : 'poor';
}
