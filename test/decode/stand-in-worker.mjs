// A stand-in decode worker for pool tests: it dies (as a WASM abort or an
// out-of-memory kill would) on frame 1, waits `task.delayMs` when asked, and
// otherwise returns a 1x1 sample holding the frame index.
export default async function (task) {
  if (task.frameIndex === 1 && task.file === 'crash') process.exit(70);
  if (task.delayMs) await new Promise((r) => setTimeout(r, task.delayMs));
  return { ok: true, data: Float32Array.of(task.frameIndex), shape: [1, 1, 1], decodeMs: 0, preprocessMs: 0, decodedWidth: 1, decodedHeight: 1 };
}
