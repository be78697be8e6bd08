// Writes a large multi-frame Part-10 file without holding it in memory:
// native (Explicit VR Little Endian, 16-bit) or encapsulated (JPEG-LS syntax,
// one fragment per frame, empty offset table; the fragments are filler that
// starts with a JPEG SOI marker, enough for the reader, not for a decoder).
import { openSync, writeSync, closeSync } from 'node:fs';

function element(tag, vr, value) {
  const long = ['OB', 'OW', 'SQ', 'UN', 'UT'].includes(vr);
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(tag >>> 16, 0);
  head.writeUInt16LE(tag & 0xffff, 2);
  head.write(vr, 4, 'latin1');
  if (long) head.writeUInt32LE(value.length, 8);
  else head.writeUInt16LE(value.length, 6);
  return Buffer.concat([head, value]);
}
const str = (s) => Buffer.from(s.length % 2 ? `${s}\0` : s, 'latin1');
const us = (n) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
};
const itemHeader = (len, tag = 0xfffee000) => {
  const b = Buffer.alloc(8);
  b.writeUInt16LE(tag >>> 16, 0);
  b.writeUInt16LE(tag & 0xffff, 2);
  b.writeUInt32LE(len, 4);
  return b;
};

/** Writes the file and returns its size in bytes. */
export function makeLarge(path, { rows = 2048, columns = 2048, frames = 256, encapsulated = false } = {}) {
  const frameBytes = rows * columns * 2;
  const ts = encapsulated ? '1.2.840.10008.1.2.4.80' : '1.2.840.10008.1.2.1';
  const metaBody = Buffer.concat([element(0x00020001, 'OB', Buffer.from([0, 1])), element(0x00020010, 'UI', str(ts))]);
  const gl = Buffer.alloc(4);
  gl.writeUInt32LE(metaBody.length);
  const header = Buffer.concat([
    Buffer.alloc(128),
    Buffer.from('DICM'),
    element(0x00020000, 'UL', gl),
    metaBody,
    element(0x00080018, 'UI', str('1.2.826.0.1.3680043.10.1.1')),
    element(0x00280002, 'US', us(1)),
    element(0x00280004, 'CS', str('MONOCHROME2 ')),
    element(0x00280008, 'IS', str(String(frames))),
    element(0x00280010, 'US', us(rows)),
    element(0x00280011, 'US', us(columns)),
    element(0x00280100, 'US', us(16)),
    element(0x00280101, 'US', us(16)),
    element(0x00280102, 'US', us(15)),
    element(0x00280103, 'US', us(0)),
  ]);
  const fd = openSync(path, 'w');
  let size = 0;
  const put = (b) => {
    writeSync(fd, b);
    size += b.length;
  };
  put(header);
  const frame = Buffer.alloc(frameBytes);
  for (let i = 0; i < frameBytes; i += 2) frame.writeUInt16LE((i * 7) & 0xffff, i);
  if (encapsulated) {
    const ph = Buffer.alloc(12);
    ph.writeUInt16LE(0x7fe0, 0);
    ph.writeUInt16LE(0x0010, 2);
    ph.write('OB', 4, 'latin1');
    ph.writeUInt32LE(0xffffffff, 8);
    put(ph);
    put(itemHeader(0));
    frame[0] = 0xff;
    frame[1] = 0xd8;
  } else {
    const ph = Buffer.alloc(12);
    ph.writeUInt16LE(0x7fe0, 0);
    ph.writeUInt16LE(0x0010, 2);
    ph.write('OW', 4, 'latin1');
    ph.writeUInt32LE(frameBytes * frames, 8);
    put(ph);
  }
  for (let f = 0; f < frames; f++) {
    frame.writeUInt32LE(f, 4); // every frame differs
    if (encapsulated) put(itemHeader(frameBytes));
    put(frame);
  }
  if (encapsulated) put(itemHeader(0, 0xfffee0dd));
  closeSync(fd);
  return size;
}
