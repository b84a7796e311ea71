// Written by scripts/build.mjs. Loaded before the bundle, in syntax Node 18
// can parse: on an older Node the bundle fails with an unrelated TypeError.
export const MIN_NODE = 24;

/** The one-line reason this Node cannot run pqc-ops, or undefined. */
export function nodeTooOld(what) {
  const version = process.versions.node;
  if (Number(version.split('.')[0]) >= MIN_NODE) return undefined;
  return 'pqc-ops: ' + what + ' needs Node.js ' + MIN_NODE +
    ' or newer (running ' + version + ')';
}
