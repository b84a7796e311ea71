import { ConfigurationError } from '../errors.js';

/**
 * Characters that must never reach a log line as they are: C0 controls
 * (CR, LF, TAB, ESC...), DEL, C1 controls (NEL), the Unicode line and
 * paragraph separators, and the bidirectional overrides that make text read
 * differently from what it is.
 */
const CONTROL =
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const CONTROL_ALL = new RegExp(CONTROL.source, 'g');

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Whether `text` holds a control character (see {@link oneLine}). */
export function hasControlCharacters(text: string): boolean {
  return CONTROL.test(text);
}

/**
 * Makes any text safe as one log line: CR, LF and the other control
 * characters become visible escapes (`\n`, `\x1b`, `\u2028`), and nothing in
 * it can start a workflow command: a leading `::` (after whitespace, which
 * the runner skips) gets a backslash before it, and the legacy `##[` form,
 * which the runner finds anywhere in a line, becomes `##\[`.
 */
export function oneLine(text: string): string {
  const escaped = text.replace(CONTROL_ALL, (c) => {
    const named = NAMED[c];
    if (named !== undefined) return named;
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
  return escaped.replace(/^(\s*)::/, '$1\\::').replace(/##\[/g, '##\\[');
}

/**
 * Refuses a path holding a control character (a newline could inject a
 * workflow command or a forged line into the log). The message names the
 * input and the position, never the value.
 */
export function assertPlainPath(value: string, inputName: string): string {
  const at = value.search(CONTROL);
  if (at !== -1) {
    throw new ConfigurationError(
      `input '${inputName}' contains a control character (such as a newline) at position ${at + 1}: give a plain path`,
    );
  }
  return value;
}
