/** Environment variables a test sets, put back as they were when it ends. */

/** Puts `name` back to its value at this call (or unset) when test `t` ends. */
export function restoreEnvAfter(t: { teardown(fn: () => void): void }, name: string): void {
  const before = process.env[name];
  t.teardown(() => {
    if (before === undefined) delete process.env[name];
    else process.env[name] = before;
  });
}
