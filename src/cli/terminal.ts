import { createInterface } from 'node:readline/promises';

/** A typed confirmation on the terminal: only "yes" applies. */
export function confirmer(
  ask: (q: string) => Promise<string>,
  io: { err: (s: string) => void },
): (question: string) => Promise<boolean> {
  return async (question) => {
    io.err(question);
    const answer = await ask("Type 'yes' to apply (anything else cancels): ");
    return answer.trim() === 'yes';
  };
}

/** One question on the terminal (stdin, stderr). */
export async function askOnTerminal(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}
