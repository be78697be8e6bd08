#!/usr/bin/env node
// The storage bench's HTTP object store: serves the files of one folder with
// GET, HEAD and single Range requests over keep-alive connections, and waits
// `latency` ms before the first byte of every answer. netem does not exist on
// these kernels, so time-to-first-byte latency is added here, at the server,
// while bandwidth is shaped by `tc ... tbf` on the link. It is started by the
// bench inside a network namespace the bench creates.
//
//   file-server.mjs --root DIR --host ADDR --port N [--latency-ms MS]
//
// `PUT /__latency/<ms>` changes the latency between runs (so one server serves
// every shaping setting). Prints `listening <port>` once ready.
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, normalize, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { root: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '0' }, 'latency-ms': { type: 'string', default: '0' } } });
const root = resolve(values.root) + sep;
let latencyMs = Number(values['latency-ms']);

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const control = /^\/__latency\/(\d+)$/.exec(url.pathname);
  if (control && req.method === 'PUT') {
    latencyMs = Number(control[1]);
    res.end(`latency ${latencyMs}\n`);
    return;
  }
  const path = normalize(join(root, decodeURIComponent(url.pathname)));
  let size;
  try {
    if (!path.startsWith(root)) throw new Error('outside root');
    const st = statSync(path);
    if (!st.isFile()) throw new Error('not a file');
    size = st.size;
  } catch {
    res.writeHead(404).end();
    return;
  }
  let start = 0;
  let end = size - 1;
  let status = 200;
  const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
  if (range) {
    start = Number(range[1]);
    end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
    if (start > end) {
      res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
      return;
    }
    status = 206;
  }
  setTimeout(() => {
    const headers = { 'content-type': 'application/dicom', 'content-length': end - start + 1, 'accept-ranges': 'bytes' };
    if (status === 206) headers['content-range'] = `bytes ${start}-${end}/${size}`;
    res.writeHead(status, headers);
    if (req.method === 'HEAD') res.end();
    else createReadStream(path, { start, end, highWaterMark: 256 * 1024 }).pipe(res);
  }, latencyMs);
});
server.keepAliveTimeout = 60_000;
server.listen(Number(values.port), values.host, () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)).closeAllConnections());
