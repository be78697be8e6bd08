#!/usr/bin/env node
// For test/bench/storage.test.ts: sets up the storage bench's network namespace
// and file server over a folder, shaped to a rate, prints one JSON line
// { name, base, qdisc }, then waits to be interrupted; the bench's cleanup
// must then remove the namespace and the server.
//   netns-driver.mjs DIR BITS_PER_SECOND LATENCY_MS
import { createNetns } from '../../bench/lib/storage/netns.mjs';

const [dir, bits, latency] = process.argv.slice(2);
const ns = createNetns();
const qdisc = ns.shape(Number(bits));
const server = await ns.startFileServer(dir, Number(latency));
process.stdout.write(`${JSON.stringify({ name: ns.name, base: server.base, qdisc })}\n`);
setInterval(() => {}, 1 << 30);
