import { forTerminal } from './terminal.js';

/**
 * A one-line progress display on stderr, drawn only when stderr is a
 * terminal, so logs and pipes stay clean and stdout carries only results.
 */
export class Progress {
  readonly enabled: boolean;
  private last = 0;
  private drawn = false;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr, enabled?: boolean) {
    this.enabled = enabled ?? Boolean(stream.isTTY);
  }

  /** Redraws at most ten times a second. */
  update(text: string, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    const width = Math.max(20, (this.stream.columns ?? 80) - 1);
    text = forTerminal(text); // file names in the line come from the user's folders
    this.stream.write(`\r\x1b[K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
    this.drawn = true;
  }

  /** Clears the line before normal output is written. */
  clear(): void {
    if (this.enabled && this.drawn) {
      this.stream.write('\r\x1b[K');
      this.drawn = false;
    }
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}
