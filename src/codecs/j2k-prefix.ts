/**
 * Reading only the bytes a low-resolution target needs (ISO 15444-1 B.9-B.10,
 * A.4-A.6; HTJ2K 15444-15 with OpenJPEG's segment rule): where in a JPEG 2000
 * or HTJ2K codestream the packets of resolution levels 0..r end, when the
 * progression puts all of them first.
 *
 * The codestream's main header and tile-part headers give the geometry; the
 * packet headers are then read in progression order (tag trees, coding
 * passes, length indicators, SOP/EPH), each packet's body skipped by its
 * length, until the first packet of a resolution above r. Everything before
 * that byte is all a decoder reducing by `level` reads; OpenJPEG and OpenJPH
 * skip the rest. `cutCodestream` then makes a complete codestream of that
 * prefix (the last tile-part's length rewritten, EOC appended), which any
 * decoder accepts.
 *
 * Supported: one tile (any number of tile-parts), components coded alike (no
 * COC/POC, no PPM/PPT), any code-block style but selective arithmetic-coding
 * bypass and termination on each pass mixed with HT. Progressions: RPCL and
 * RLCP; LRCP with a single quality layer; PCRL and CPRL when every resolution
 * is one precinct and there is one component. Anything else says why not.
 */
import { sizeAtLevel } from './j2k-header.js';

/** Why a codestream does not allow prefix reads, or how long the prefix is. */
export type PrefixPlan =
  | {
      ok: true;
      /** Bytes of the codestream a decode at `level` needs. */
      bytes: number;
      /** Whole codestream length, when known. */
      total: number | null;
      /** Packets kept, and those after the cut (cutCodestream writes them as empty packets). */
      packets: number;
      rest: number;
      /** Tile-parts kept: where each starts (SOT) and where its packet data starts (after SOD). */
      parts: { sot: number; data: number }[];
      sop: boolean;
      eph: boolean;
      /** Where the main header ends (the first SOT). */
      mainEnd: number;
    }
  | { ok: false; why: string; /** More bytes are needed to decide (a read of this many would). */ need?: number };

/** What the main header says, as far as prefix reads care. */
export interface CodestreamLayout {
  width: number;
  height: number;
  x0: number;
  y0: number;
  tileWidth: number;
  tileHeight: number;
  tileX0: number;
  tileY0: number;
  components: number;
  progression: 'LRCP' | 'RLCP' | 'RPCL' | 'PCRL' | 'CPRL';
  layers: number;
  decompositions: number;
  /** Code-block width and height exponents (xcb + 2). */
  cblkW: number;
  cblkH: number;
  cblkStyle: number;
  /** Per resolution (0 = lowest): precinct width and height exponents. */
  precincts: { pw: number; ph: number }[];
  sop: boolean;
  eph: boolean;
  /** Byte offset of the first SOT. */
  firstSot: number;
  /** Why prefix reads cannot be used whatever the level (COC, POC, PPM, tiles). */
  unsupported: string | null;
}

const PROGRESSIONS = ['LRCP', 'RLCP', 'RPCL', 'PCRL', 'CPRL'] as const;
const SOT = 0xff90;
const SOD = 0xff93;
const EOC = 0xffd9;
const CBLK_LAZY = 0x01;
const CBLK_TERMALL = 0x04;
const CBLK_HT = 0x40;

class NeedMore extends Error {
  constructor(readonly need: number) {
    super(`need ${need} bytes`);
  }
}

const u16 = (b: Uint8Array, at: number) => {
  if (at + 2 > b.length) throw new NeedMore(at + 2);
  return (b[at]! << 8) | b[at + 1]!;
};
const u32 = (b: Uint8Array, at: number) => {
  if (at + 4 > b.length) throw new NeedMore(at + 4);
  return ((b[at]! << 24) >>> 0) + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);
};
const ceilDivPow2 = (a: number, e: number) => Math.ceil(a / 2 ** e);
const floorDivPow2 = (a: number, e: number) => Math.floor(a / 2 ** e);

/** The main header's layout; throws NeedMore when `b` stops inside it. */
function readLayout(b: Uint8Array): CodestreamLayout | string {
  if (u16(b, 0) !== 0xff4f) return 'not a JPEG 2000 codestream (no SOC)';
  if (u16(b, 2) !== 0xff51) return 'SIZ does not follow SOC';
  const sizLen = u16(b, 4);
  if (6 + sizLen - 2 > b.length) throw new NeedMore(4 + sizLen);
  const L: Partial<CodestreamLayout> & { unsupported: string | null } = {
    width: u32(b, 8), height: u32(b, 12), x0: u32(b, 16), y0: u32(b, 20),
    tileWidth: u32(b, 24), tileHeight: u32(b, 28), tileX0: u32(b, 32), tileY0: u32(b, 36),
    components: u16(b, 40), unsupported: null,
  };
  for (let c = 0; c < L.components!; c++) {
    if (b[43 + 3 * c] !== 1 || b[44 + 3 * c] !== 1) L.unsupported = 'a component is subsampled';
  }
  const tilesX = Math.ceil((L.width! - L.tileX0!) / L.tileWidth!);
  const tilesY = Math.ceil((L.height! - L.tileY0!) / L.tileHeight!);
  if (tilesX * tilesY !== 1) L.unsupported = `the image is ${tilesX}x${tilesY} tiles (prefix reads need one tile)`;
  let at = 4 + sizLen;
  let cod = false;
  for (;;) {
    const marker = u16(b, at);
    if (marker === SOT) break;
    if ((marker & 0xff00) !== 0xff00) return `invalid marker 0x${marker.toString(16)} in the main header at byte ${at}`;
    const len = u16(b, at + 2);
    if (at + 2 + len > b.length) throw new NeedMore(at + 2 + len);
    if (marker === 0xff52) {
      const s = at + 4;
      const scod = b[s]!;
      const prog = b[s + 1]!;
      if (prog > 4) return `unknown progression order ${prog}`;
      L.progression = PROGRESSIONS[prog];
      L.layers = u16(b, s + 2);
      L.decompositions = b[s + 5]!;
      L.cblkW = (b[s + 6]! & 0x0f) + 2;
      L.cblkH = (b[s + 7]! & 0x0f) + 2;
      L.cblkStyle = b[s + 8]!;
      L.sop = (scod & 0x02) !== 0;
      L.eph = (scod & 0x04) !== 0;
      L.precincts = [];
      for (let r = 0; r <= L.decompositions; r++) {
        if (scod & 0x01) {
          const p = b[s + 10 + r]!;
          L.precincts.push({ pw: p & 0x0f, ph: p >> 4 });
        } else {
          L.precincts.push({ pw: 15, ph: 15 });
        }
      }
      cod = true;
    } else if (marker === 0xff53) {
      L.unsupported ??= 'a COC marker codes components differently';
    } else if (marker === 0xff5f) {
      L.unsupported ??= 'a POC marker changes the progression';
    } else if (marker === 0xff60) {
      L.unsupported ??= 'packet headers are in a PPM marker';
    }
    at += 2 + len;
  }
  if (!cod) return 'no COD marker in the main header';
  L.firstSot = at;
  return L as CodestreamLayout;
}

/** Bit reader of packet headers (B.10.1): after an 0xFF byte the next gives 7 bits. */
class Bits {
  private buf = 0;
  private ct = 0;
  /** `more`: the tile-part goes on past `end`, the bytes at hand (a read of more would tell). */
  constructor(private readonly b: Uint8Array, public at: number, private readonly end: number, private readonly more: boolean) {}
  private byteIn(): void {
    this.buf = (this.buf << 8) & 0xffff;
    this.ct = this.buf === 0xff00 ? 7 : 8;
    if (this.at >= this.end) {
      if (this.more) throw new NeedMore(this.at + 1);
      throw new Error('a packet header runs past its tile-part');
    }
    this.buf |= this.b[this.at++]!;
  }
  bit(): number {
    if (this.ct === 0) this.byteIn();
    this.ct--;
    return (this.buf >> this.ct) & 1;
  }
  read(n: number): number {
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v += this.bit() * 2 ** i;
    return v;
  }
  /** Ends the header: a last 0xFF byte is followed by one more (stuffed) byte. */
  align(): void {
    if ((this.buf & 0xff) === 0xff) this.byteIn();
    this.ct = 0;
  }
}

/** A tag tree (B.10.2) over w x h leaves, decoded as OpenJPEG does. */
class TagTree {
  private readonly value: Int32Array;
  private readonly low: Int32Array;
  private readonly parent: Int32Array;
  /** The path from a leaf to the root, reused by every decode (one slot per level). */
  private readonly path: Int32Array;
  constructor(w: number, h: number) {
    const levels: [number, number][] = [];
    let lw = w;
    let lh = h;
    let n = 0;
    for (;;) {
      levels.push([lw, lh]);
      n += lw * lh;
      if (lw * lh <= 1) break;
      lw = Math.ceil(lw / 2);
      lh = Math.ceil(lh / 2);
    }
    this.value = new Int32Array(n).fill(999);
    this.low = new Int32Array(n);
    this.parent = new Int32Array(n).fill(-1);
    this.path = new Int32Array(levels.length);
    let base = 0;
    for (let l = 0; l + 1 < levels.length; l++) {
      const [cw, ch] = levels[l]!;
      const next = base + cw * ch;
      const pw = levels[l + 1]![0];
      for (let y = 0; y < ch; y++) for (let x = 0; x < cw; x++) this.parent[base + y * cw + x] = next + (y >> 1) * pw + (x >> 1);
      base = next;
    }
  }
  /** 1 when the leaf's value is below `threshold`. */
  decode(bits: Bits, leaf: number, threshold: number): boolean {
    const path = this.path;
    let depth = 0;
    let node = leaf;
    while (this.parent[node]! >= 0) {
      path[depth++] = node;
      node = this.parent[node]!;
    }
    let low = 0;
    for (;;) {
      if (low > this.low[node]!) this.low[node] = low;
      else low = this.low[node]!;
      while (low < threshold && low < this.value[node]!) {
        if (bits.bit()) this.value[node] = low;
        else low++;
      }
      this.low[node] = low;
      if (depth === 0) break;
      node = path[--depth]!;
    }
    return this.value[node]! < threshold;
  }
}

interface CodeBlock {
  included: boolean;
  lenBits: number;
  /** Passes and capacity of each segment so far. */
  segs: { passes: number; max: number }[];
}

interface PrecinctBand {
  cw: number;
  ch: number;
  incl: TagTree;
  zero: TagTree;
  blocks: CodeBlock[];
}

/** How many precincts resolution r has (as resolutionGeometry counts them). */
function precinctCount(L: CodestreamLayout, r: number): number {
  const level = L.decompositions - r;
  const span = (t0: number, size: number, o: number, whole: number, e: number) => {
    const a = ceilDivPow2(Math.max(t0, o), level);
    const b = ceilDivPow2(Math.min(t0 + size, whole), level);
    return a === b ? 0 : ceilDivPow2(b, e) - floorDivPow2(a, e);
  };
  const { pw, ph } = L.precincts[r]!;
  return span(L.tileX0, L.tileWidth, L.x0, L.width, pw) * span(L.tileY0, L.tileHeight, L.y0, L.height, ph);
}

/** Precincts of a resolution, each with its bands' code-block grids (tcd.c's geometry, one tile, dx = dy = 1). */
function resolutionGeometry(L: CodestreamLayout, r: number): { precincts: PrecinctBand[][]; count: number } {
  const level = L.decompositions - r;
  const tx0 = Math.max(L.tileX0, L.x0);
  const ty0 = Math.max(L.tileY0, L.y0);
  const tx1 = Math.min(L.tileX0 + L.tileWidth, L.width);
  const ty1 = Math.min(L.tileY0 + L.tileHeight, L.height);
  const rx0 = ceilDivPow2(tx0, level);
  const ry0 = ceilDivPow2(ty0, level);
  const rx1 = ceilDivPow2(tx1, level);
  const ry1 = ceilDivPow2(ty1, level);
  const { pw: pdx, ph: pdy } = L.precincts[r]!;
  const px0 = floorDivPow2(rx0, pdx) * 2 ** pdx;
  const py0 = floorDivPow2(ry0, pdy) * 2 ** pdy;
  const pw = rx0 === rx1 ? 0 : (ceilDivPow2(rx1, pdx) * 2 ** pdx - px0) / 2 ** pdx;
  const ph = ry0 === ry1 ? 0 : (ceilDivPow2(ry1, pdy) * 2 ** pdy - py0) / 2 ** pdy;
  const cbgX0 = r === 0 ? px0 : ceilDivPow2(px0, 1);
  const cbgY0 = r === 0 ? py0 : ceilDivPow2(py0, 1);
  const cbgW = r === 0 ? pdx : pdx - 1;
  const cbgH = r === 0 ? pdy : pdy - 1;
  const cbW = Math.min(L.cblkW, cbgW);
  const cbH = Math.min(L.cblkH, cbgH);
  const bands: { x0: number; y0: number; x1: number; y1: number }[] = [];
  if (r === 0) bands.push({ x0: rx0, y0: ry0, x1: rx1, y1: ry1 });
  else {
    for (const bandno of [1, 2, 3]) {
      const xb = bandno & 1;
      const yb = bandno >> 1;
      bands.push({
        x0: ceilDivPow2(tx0 - xb * 2 ** level, level + 1), y0: ceilDivPow2(ty0 - yb * 2 ** level, level + 1),
        x1: ceilDivPow2(tx1 - xb * 2 ** level, level + 1), y1: ceilDivPow2(ty1 - yb * 2 ** level, level + 1),
      });
    }
  }
  const precincts: PrecinctBand[][] = [];
  for (let p = 0; p < pw * ph; p++) {
    const gx0 = cbgX0 + (p % pw) * 2 ** cbgW;
    const gy0 = cbgY0 + Math.floor(p / pw) * 2 ** cbgH;
    const perBand: PrecinctBand[] = [];
    for (const band of bands) {
      const empty = band.x1 - band.x0 === 0 || band.y1 - band.y0 === 0;
      const x0 = Math.max(gx0, band.x0);
      const y0 = Math.max(gy0, band.y0);
      const x1 = Math.min(gx0 + 2 ** cbgW, band.x1);
      const y1 = Math.min(gy0 + 2 ** cbgH, band.y1);
      const cw = empty ? 0 : Math.max(0, (ceilDivPow2(x1, cbW) - floorDivPow2(x0, cbW)));
      const ch = empty ? 0 : Math.max(0, (ceilDivPow2(y1, cbH) - floorDivPow2(y0, cbH)));
      const n = x1 > x0 && y1 > y0 ? cw * ch : 0;
      perBand.push({
        cw, ch: n === 0 ? 0 : ch,
        incl: new TagTree(Math.max(cw, 1), Math.max(ch, 1)),
        zero: new TagTree(Math.max(cw, 1), Math.max(ch, 1)),
        blocks: Array.from({ length: n }, () => ({ included: false, lenBits: 3, segs: [] })),
      });
    }
    precincts.push(perBand);
  }
  return { precincts, count: pw * ph };
}

/** Segment capacity (t2.c opj_t2_init_seg). */
function segmentMax(style: number, first: boolean, previous: number | undefined): number {
  if (style & CBLK_TERMALL) return 1;
  if (style & CBLK_LAZY) return first ? 10 : previous === 1 || previous === 10 ? 2 : 1;
  return 109;
}

function numPasses(bits: Bits): number {
  if (!bits.bit()) return 1;
  if (!bits.bit()) return 2;
  let n = bits.read(2);
  if (n !== 3) return 3 + n;
  n = bits.read(5);
  if (n !== 31) return 6 + n;
  return 37 + bits.read(7);
}

/** Reads one packet header at bits.at; returns the body length. */
function readPacket(bits: Bits, L: CodestreamLayout, prec: PrecinctBand[], layer: number): number {
  if (!bits.bit()) {
    bits.align();
    return 0;
  }
  let body = 0;
  for (const band of prec) {
    for (let i = 0; i < band.blocks.length; i++) {
      const cb = band.blocks[i]!;
      const firstTime = cb.segs.length === 0;
      const included = firstTime ? band.incl.decode(bits, i, layer + 1) : bits.bit() === 1;
      if (!included) continue;
      if (firstTime) {
        let z = 0;
        while (!band.zero.decode(bits, i, z)) z++;
        cb.lenBits = 3;
      }
      let n = numPasses(bits);
      while (bits.bit()) cb.lenBits++;
      let seg: number;
      if (firstTime) {
        cb.segs.push({ passes: 0, max: segmentMax(L.cblkStyle, true, undefined) });
        seg = 0;
      } else {
        seg = cb.segs.length - 1;
        if (cb.segs[seg]!.passes === cb.segs[seg]!.max) {
          cb.segs.push({ passes: 0, max: segmentMax(L.cblkStyle, false, cb.segs[seg]!.max) });
          seg++;
        }
      }
      do {
        const s = cb.segs[seg]!;
        const add = L.cblkStyle & CBLK_HT ? (seg === 0 ? 1 : n) : Math.min(s.max - s.passes, n);
        const lenBits = cb.lenBits + Math.floor(Math.log2(add));
        if (lenBits > 32) throw new Error(`a length indicator of ${lenBits} bits`);
        body += bits.read(lenBits);
        s.passes += add;
        n -= add;
        if (n > 0) {
          cb.segs.push({ passes: 0, max: segmentMax(L.cblkStyle, false, s.max) });
          seg++;
        }
      } while (n > 0);
    }
  }
  bits.align();
  return body;
}

/** Packets in progression order as [resolution, precinct, layer] (components are alike and ordered within). */
function* packetOrder(L: CodestreamLayout, precinctsAt: number[]): Generator<[number, number, number, number]> {
  const R = L.decompositions + 1;
  const C = L.components;
  switch (L.progression) {
    case 'LRCP':
      for (let l = 0; l < L.layers; l++) for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) for (let p = 0; p < precinctsAt[r]!; p++) yield [r, p, c, l];
      return;
    case 'RLCP':
      for (let r = 0; r < R; r++) for (let l = 0; l < L.layers; l++) for (let c = 0; c < C; c++) for (let p = 0; p < precinctsAt[r]!; p++) yield [r, p, c, l];
      return;
    case 'RPCL':
      for (let r = 0; r < R; r++) for (let p = 0; p < precinctsAt[r]!; p++) for (let c = 0; c < C; c++) for (let l = 0; l < L.layers; l++) yield [r, p, c, l];
      return;
    default:
      // PCRL / CPRL with one precinct per resolution and one component: resolution order within the single position.
      for (let r = 0; r < R; r++) for (let l = 0; l < L.layers; l++) for (let p = 0; p < precinctsAt[r]!; p++) yield [r, p, 0, l];
  }
}

/** Why this progression does not put resolutions 0..keep first, or null when it does. */
function progressionProblem(L: CodestreamLayout, precinctsAt: number[]): string | null {
  if (L.progression === 'LRCP' && L.layers > 1) return `the progression is LRCP with ${L.layers} quality layers (every layer repeats every resolution)`;
  if (L.progression === 'PCRL' || L.progression === 'CPRL') {
    if (L.components > 1) return `the progression is ${L.progression} with ${L.components} components`;
    if (precinctsAt.some((n) => n > 1)) return `the progression is ${L.progression} with several precincts per resolution`;
  }
  if ((L.cblkStyle & CBLK_HT) && (L.cblkStyle & (CBLK_LAZY | CBLK_TERMALL))) return 'HT code-blocks with bypass or termination on each pass';
  return null;
}

/** The prefix a decode at `level` (0 = full) needs, or why there is none. `b` may itself be a prefix of the codestream. */
export function prefixFor(b: Uint8Array, level: number, options: { total?: number } = {}): PrefixPlan {
  try {
    const L = readLayout(b);
    if (typeof L === 'string') return { ok: false, why: L };
    if (L.unsupported) return { ok: false, why: L.unsupported };
    if (level <= 0) return { ok: false, why: 'a full-resolution decode needs the whole codestream' };
    if (level > L.decompositions) return { ok: false, why: `level ${level} is beyond the ${L.decompositions} decomposition levels` };
    const keep = L.decompositions - level;
    // Code-block state only for the resolutions read; the others need their precinct counts alone.
    const geometry = Array.from({ length: keep + 1 }, (_, r) => Array.from({ length: L.components }, () => resolutionGeometry(L, r)));
    const precinctsAt = Array.from({ length: L.decompositions + 1 }, (_, r) => (r <= keep ? geometry[r]![0]!.count : precinctCount(L, r)));
    const problem = progressionProblem(L, precinctsAt);
    if (problem) return { ok: false, why: problem };
    let at = L.firstSot;
    let packets = 0;
    const parts: { sot: number; data: number }[] = [];
    const order = packetOrder(L, precinctsAt);
    let next = order.next();
    const done = (bytes: number): PrefixPlan => {
      let rest = 1;
      for (let n = order.next(); !n.done; n = order.next()) rest++;
      return { ok: true, bytes, total: options.total ?? null, packets, rest, parts, sop: L.sop, eph: L.eph, mainEnd: L.firstSot };
    };
    // Tile-parts in order; packets continue from one tile-part to the next.
    while (!next.done) {
      // The kept packets ended with the last tile-part: the prefix ends there too.
      if (parts.length > 0 && next.value[0] > keep) return done(at);
      const marker = u16(b, at);
      if (marker === EOC) return { ok: false, why: 'the codestream ends before the resolution levels wanted' };
      if (marker !== SOT) return { ok: false, why: `no SOT marker at byte ${at}` };
      const lsot = u16(b, at + 2);
      const psot = u32(b, at + 6);
      const tileEnd = psot === 0 ? (options.total ?? Infinity) : at + psot;
      let h = at + 2 + lsot;
      for (;;) {
        const m = u16(b, h);
        if (m === SOD) break;
        if (m === 0xff52 || m === 0xff53 || m === 0xff5f || m === 0xff61) {
          return { ok: false, why: `a tile-part header holds a ${m === 0xff61 ? 'PPT' : m === 0xff5f ? 'POC' : 'COD/COC'} marker` };
        }
        h += 2 + u16(b, h + 2);
      }
      let p = h + 2;
      parts.push({ sot: at, data: p });
      const end = Math.min(tileEnd, b.length);
      while (!next.done && p < tileEnd) {
        const [r, prec, c, l] = next.value;
        if (r > keep) return done(p);
        if (L.sop && p + 6 <= tileEnd && u16(b, p) === 0xff91) p += 6;
        const bits = new Bits(b, p, end, tileEnd > b.length);
        const body = readPacket(bits, L, geometry[r]![c]!.precincts[prec]!, l);
        p = bits.at;
        if (L.eph) {
          if (u16(b, p) !== 0xff92) return { ok: false, why: `no EPH marker after the packet header at byte ${p}` };
          p += 2;
        }
        p += body;
        if (p > tileEnd) return { ok: false, why: `a packet runs past its tile-part (byte ${p} > ${tileEnd})` };
        packets++;
        next = order.next();
      }
      if (next.done) break;
      if (tileEnd === Infinity) throw new NeedMore(b.length + 1);
      at = tileEnd;
    }
    // Every packet is of a kept resolution: the prefix is the whole codestream.
    return { ok: false, why: 'the resolution levels wanted fill the whole codestream' };
  } catch (err) {
    if (err instanceof NeedMore) return { ok: false, why: `the first ${b.length} bytes are not enough to decide`, need: err.need };
    return { ok: false, why: (err as Error).message };
  }
}

/** Marker segments left out of a cut codestream: TLM, PLM and PLT give lengths of tile-parts and packets it no longer has. */
const LENGTH_MARKERS = new Set([0xff55, 0xff57, 0xff58]);

function copySegments(b: Uint8Array, from: number, to: number, out: number[]): void {
  for (let at = from; at < to; ) {
    const m = (b[at]! << 8) | b[at + 1]!;
    const len = (b[at + 2]! << 8) | b[at + 3]!;
    if (!LENGTH_MARKERS.has(m)) for (let i = at; i < at + 2 + len; i++) out.push(b[i]!);
    at += 2 + len;
  }
}

/**
 * A complete, valid codestream holding what a decode at the plan's level
 * needs: the main header and the tile-parts up to the cut (without the
 * TLM/PLM/PLT length markers, whose numbers no longer hold), the packets
 * after the cut written as empty packets (one byte each, with SOP and EPH
 * when the codestream uses them), each tile-part's length rewritten, and
 * EOC. Any decoder, strict or not, decodes it; at the plan's level the
 * pixels are those of the whole codestream.
 *
 * @example const plan = prefixFor(bytes, 3); if (plan.ok) decode(cutCodestream(bytes.subarray(0, plan.bytes), plan));
 */
export function cutCodestream(b: Uint8Array, plan: Extract<PrefixPlan, { ok: true }>): Uint8Array {
  const out: number[] = [];
  out.push(b[0]!, b[1]!); // SOC; then SIZ and the other main-header segments
  copySegments(b, 2, plan.mainEnd, out);
  const body: Uint8Array[] = [];
  const head: number[][] = [];
  plan.parts.forEach((part, i) => {
    const lsot = (b[part.sot + 2]! << 8) | b[part.sot + 3]!;
    const h: number[] = [];
    for (let k = part.sot; k < part.sot + 2 + lsot; k++) h.push(b[k]!);
    copySegments(b, part.sot + 2 + lsot, part.data - 2, h);
    h.push(0xff, 0x93);
    head.push(h);
    const last = i === plan.parts.length - 1;
    body.push(b.subarray(part.data, last ? plan.bytes : plan.parts[i + 1]!.sot));
  });
  // The packets after the cut, empty: a zero bit, byte-aligned (B.10.3), framed as the codestream frames packets.
  const filler: number[] = [];
  for (let k = 0; k < plan.rest; k++) {
    if (plan.sop) {
      const n = (plan.packets + k) % 65536;
      filler.push(0xff, 0x91, 0x00, 0x04, n >> 8, n & 0xff);
    }
    filler.push(0x00);
    if (plan.eph) filler.push(0xff, 0x92);
  }
  const total = out.length + head.reduce((n, h) => n + h.length, 0) + body.reduce((n, x) => n + x.length, 0) + filler.length + 2;
  const result = new Uint8Array(total);
  result.set(out, 0);
  let at = out.length;
  const dv = new DataView(result.buffer);
  head.forEach((h, i) => {
    const start = at;
    result.set(h, at);
    at += h.length;
    result.set(body[i]!, at);
    at += body[i]!.length;
    if (i === head.length - 1) {
      result.set(filler, at);
      at += filler.length;
    }
    dv.setUint32(start + 6, at - start); // Psot
    result[start + 11] = 0; // TNsot: not given (the later tile-parts are gone)
  });
  result[at] = 0xff;
  result[at + 1] = 0xd9;
  return result;
}

/** What `inspect --json` says of a codestream: whether prefix reads apply, and how much of it each level needs. */
export type PrefixSummary =
  | { allowed: true; progression: string; layers: number; levels: { level: number; width: number; height: number; bytes: number; fraction: number }[] }
  | { allowed: false; why: string };

/** Prefix reads of one codestream at every level it has (`b` is the whole codestream). */
export function prefixSummary(b: Uint8Array): PrefixSummary {
  const L = (() => {
    try {
      return readLayout(b);
    } catch {
      return 'the main header is cut short';
    }
  })();
  if (typeof L === 'string') return { allowed: false, why: L };
  if (L.decompositions === 0) return { allowed: false, why: 'the codestream has no wavelet decomposition levels' };
  const levels: { level: number; width: number; height: number; bytes: number; fraction: number }[] = [];
  for (let level = 1; level <= L.decompositions; level++) {
    const plan = prefixFor(b, level, { total: b.length });
    if (!plan.ok) {
      if (levels.length === 0) return { allowed: false, why: plan.why };
      continue;
    }
    const size = sizeAtLevel({ offsetX: L.x0, offsetY: L.y0, width: L.width - L.x0, height: L.height - L.y0 }, level);
    levels.push({ level, ...size, bytes: plan.bytes, fraction: Number((plan.bytes / b.length).toFixed(4)) });
  }
  return { allowed: true, progression: L.progression, layers: L.layers, levels };
}

/**
 * What a whole read would have said of a frame read in part: that its
 * codestream was cut short (no EOC in `tail`, the frame's last bytes) or that
 * a kept tile-part claims more bytes than the frame has. null when neither.
 * The pixels of a prefix read do not depend on the rest, but a damaged file
 * is reported (decode.partial) as it is without prefix reads.
 */
export function prefixDamage(head: Uint8Array, plan: Extract<PrefixPlan, { ok: true }>, frameBytes: number, tail: Uint8Array): string | null {
  for (const part of plan.parts) {
    const psot = ((head[part.sot + 6]! << 24) >>> 0) + ((head[part.sot + 7]! << 16) | (head[part.sot + 8]! << 8) | head[part.sot + 9]!);
    if (psot !== 0 && part.sot + psot > frameBytes) return `tile-part at byte ${part.sot} claims ${psot} bytes, ${frameBytes - part.sot} are left`;
  }
  for (let i = tail.length - 2; i >= 0; i--) if (tail[i] === 0xff && tail[i + 1] === 0xd9) return null;
  return 'the codestream does not end with an EOC marker (cut short)';
}
