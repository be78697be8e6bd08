/**
 * Text for a terminal. Messages carry values read from files (a transfer
 * syntax UID, a file name) and a control character in one could move the
 * cursor, recolour or retitle the user's terminal: every C0/C1 control
 * character except none is shown as \xNN instead.
 *
 * @example forTerminal('bad\x1b[2Juid') // 'bad\\x1b[2Juid'
 */
export function forTerminal(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** One error or warning record as a line for stderr. */
export function recordLine(r: { severity?: string; file: string; frame: number | null; code: string; message: string }): string {
  return forTerminal(`${r.severity === 'warning' ? 'warning' : 'error'}: ${r.file}${r.frame !== null ? ` frame ${r.frame}` : ''}: ${r.code}: ${r.message}`);
}

/**
 * JSON for a terminal or a pipe: JSON.stringify leaves DEL and the C1 controls
 * (U+007F..U+009F) as they are, and a terminal acts on them; as \u escapes
 * the line is the same JSON and harmless.
 *
 * @example jsonLine({ uid: '1.2\u009b' }) // '{"uid":"1.2\\u009b"}'
 */
export function jsonLine(value: unknown): string {
  // eslint-disable-next-line no-control-regex
  return JSON.stringify(value).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
