/** Replaces every registered secret by *** in what the CLI prints. */
export function redactor(): {
  add: (s: string) => void;
  apply: (s: string) => string;
} {
  const secrets = new Set<string>();
  return {
    add: (s) => {
      if (s.length >= 4) secrets.add(s);
    },
    apply: (text) => {
      let t = text;
      for (const s of [...secrets].sort((a, b) => b.length - a.length))
        t = t.split(s).join('***');
      return t;
    },
  };
}

export type Redactor = ReturnType<typeof redactor>;
