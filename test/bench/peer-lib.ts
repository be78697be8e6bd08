/** Typed access to bench/lib/peer.mjs (plain JS, outside the TypeScript build) and a reader for the .npy files the peer dumps. */
import { readFileSync } from 'node:fs';

export interface PeerResult {
  frames: number;
  files: number;
  errors: number;
  seconds: number;
  framesPerSecond: number;
  mbPerSecond: number;
  p50Ms: number | null;
  p99Ms: number | null;
  fetchP50Ms: number | null;
  fetchP99Ms: number | null;
  cpuSeconds: number;
  acceleratorUtilisation: number | null;
  workers: number;
  gdcm: string;
  pydicom: string;
  stderr: string;
}

export interface PeerOptions {
  sources: string[];
  workers: number;
  target: string | { height: number; width: number };
  voi: string;
  batchSize: number;
  computeMs?: number;
  dump?: string;
  warmup?: string;
  authEnv?: string;
  env?: Record<string, string>;
}

interface PeerLib {
  runPeer(o: PeerOptions): Promise<PeerResult>;
  peerAvailable(): { ok: boolean; why?: string };
  PEER_PACKAGES: Record<string, string>;
}

export const peer = (await import(new URL('../../bench/lib/peer.mjs', import.meta.url).href)) as PeerLib;

/**
 * A little-endian float32 .npy file (format 1.0/2.0, C order), as numpy.save writes it.
 *
 * @example
 *   readNpyFloat32('/tmp/dump/0.npy') // { shape: [32, 32, 1], data: Float32Array(1024) }
 */
export function readNpyFloat32(path: string): { shape: number[]; data: Float32Array } {
  const b = readFileSync(path);
  if (b.subarray(0, 6).toString('latin1') !== '\x93NUMPY') throw new Error(`${path} is not a .npy file`);
  const major = b[6]!;
  const headerLen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = b.subarray(start, start + headerLen).toString('latin1');
  if (!/'descr':\s*'<f4'/.test(header) || /'fortran_order':\s*True/.test(header)) throw new Error(`${path}: expected C-order <f4, got ${header.trim()}`);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)![1]!.split(',').filter((s) => s.trim() !== '').map(Number);
  const body = b.subarray(start + headerLen);
  const data = new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
  return { shape, data };
}
