/** sha256 over src/** and package-lock.json, in a stable order. */
export function sourceHash(root: string): string;
