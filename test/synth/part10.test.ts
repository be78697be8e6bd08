import { readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { readDicom } from '../../src/dicom/reader.js';
import { TransferSyntax } from '../../src/dicom/transfer-syntax.js';
import { encodeFrame, planEncoding, type Codec, type FrameLayout } from '../../src/synth/encode.js';
import { part10Chunks, SopClass, writePart10, writePart10File, type Part10Spec } from '../../src/synth/part10.js';
import { ctSlice, radiograph } from '../../src/synth/phantom.js';
import { IMPLEMENTATION_CLASS_UID, makeUid } from '../../src/synth/uid.js';
import { bytesOf, run, tempDir } from './helpers.js';

const CT: FrameLayout = { width: 512, height: 512, bitsStored: 16, signed: true, samples: 1 };
const hu = ctSlice({ seed: 1 });
const ids = (name: string) => ({ patientId: `SYN-${name}`, studyInstanceUid: makeUid(`${name}/study`), seriesInstanceUid: makeUid(`${name}/series`), sopInstanceUid: makeUid(`${name}/instance`) });

function ctSpec(transferSyntax: string, name: string, more: Partial<Part10Spec> = {}): Part10Spec {
  return {
    transferSyntax,
    rows: 512,
    columns: 512,
    samplesPerPixel: 1,
    bitsAllocated: 16,
    bitsStored: 16,
    pixelRepresentation: 1,
    photometric: 'MONOCHROME2',
    rescaleIntercept: 0,
    rescaleSlope: 1,
    windowCenter: 40,
    windowWidth: 400,
    modality: 'CT',
    patientName: 'Phantom^CT',
    ids: ids(name),
    ...more,
  };
}
const padded = (b: Uint8Array) => (b.length % 2 ? Buffer.concat([b, Buffer.alloc(1)]) : Buffer.from(b));

/** Reads back with our streaming reader. */
async function readBack(chunks: Iterable<Uint8Array>) {
  const r = readDicom(chunks);
  const d = await r.header();
  const frames: Uint8Array[] = [];
  for await (const f of r.frames()) frames.push(f.bytes);
  return { d, frames };
}

/** Top-level elements of an explicit VR little endian file: tag, value length, offset. */
function walk(file: Uint8Array): { tag: number; vr: string; length: number; at: number }[] {
  const dv = new DataView(file.buffer, file.byteOffset, file.length);
  const out = [];
  let at = 132;
  while (at < file.length) {
    const tag = ((dv.getUint16(at, true) << 16) | dv.getUint16(at + 2, true)) >>> 0;
    const vr = String.fromCharCode(file[at + 4]!, file[at + 5]!);
    const long = ['OB', 'OW', 'SQ', 'UN', 'UT'].includes(vr);
    const length = long ? dv.getUint32(at + 8, true) : dv.getUint16(at + 6, true);
    out.push({ tag, vr, length, at });
    if (length === 0xffffffff) break; // encapsulated pixel data: the last element
    at += (long ? 12 : 8) + length;
  }
  return out;
}

/** Decodes a file with GDCM (gdcmconv --raw) and returns its raw Pixel Data bytes. */
function gdcmPixels(dir: string, file: string): Buffer {
  const raw = join(dir, `${file}.raw.dcm`);
  run('gdcmconv', ['--raw', join(dir, file), raw]);
  run('gdcmraw', ['-i', raw, '-o', `${raw}.bin`, '-t', '7fe0,0010']);
  return readFileSync(`${raw}.bin`);
}

t.test('a J2K file reads back through our reader: header fields and the codestream', async (t) => {
  const cs = await encodeFrame(hu, CT, 'j2k', { lossless: true });
  const file = writePart10(ctSpec(TransferSyntax.JPEG2000Lossless, 'j2k'), [cs]);
  const { d, frames } = await readBack([file]);
  t.match(d, {
    transferSyntax: TransferSyntax.JPEG2000Lossless,
    encapsulated: true,
    lossy: false,
    rows: 512,
    columns: 512,
    frames: 1,
    samplesPerPixel: 1,
    bitsAllocated: 16,
    bitsStored: 16,
    highBit: 15,
    pixelRepresentation: 1,
    photometricInterpretation: 'MONOCHROME2',
    rescaleSlope: 1,
    rescaleIntercept: 0,
    windowCenter: 40,
    windowWidth: 400,
    ids: ids('j2k'),
  });
  t.equal(frames.length, 1);
  t.ok(padded(cs).equals(frames[0]!), `the frame is the codestream (${cs.length} bytes${cs.length % 2 ? ' + 1 pad byte' : ''})`);
  // Byte-at-a-time delivery must give the same result (the reader is streaming).
  const oneByte = (function* () {
    for (let i = 0; i < file.length; i++) yield file.subarray(i, i + 1);
  })();
  t.ok(padded(cs).equals((await readBack(oneByte)).frames[0]!), 'same frame read in 1-byte chunks');
});

t.test('layout: preamble, meta group length, ascending tags, even lengths, offset table', async (t) => {
  const frames = await Promise.all([1, 2, 3].map(async (seed) => encodeFrame(ctSlice({ seed, size: 128 }), { ...CT, width: 128, height: 128 }, 'jpegls', { lossless: true })));
  t.ok(frames.some((f) => f.length % 2 === 1), `some frame has odd length (${frames.map((f) => f.length).join(', ')}), so padding is exercised`);
  const file = writePart10(ctSpec(TransferSyntax.JPEGLSLossless, 'mf', { rows: 128, columns: 128, frames: 3 }), frames);
  t.ok(file.subarray(0, 128).every((b) => b === 0) && Buffer.from(file.subarray(128, 132)).toString() === 'DICM', 'preamble and DICM');
  const elements = walk(file);
  const meta = elements.filter((e) => e.tag >>> 16 === 2);
  const groupLength = new DataView(file.buffer).getUint32(meta[0]!.at + 8, true);
  const firstData = elements.find((e) => e.tag >>> 16 !== 2)!;
  t.equal(groupLength, firstData.at - (meta[0]!.at + 12), 'File Meta group length counts the meta elements after it');
  t.ok(elements.every((e, i) => i === 0 || e.tag > elements[i - 1]!.tag), 'tags ascend');
  t.ok(elements.every((e) => e.length === 0xffffffff || e.length % 2 === 0), 'every value has even length');
  const uid = (tag: number) => {
    const e = elements.find((x) => x.tag === tag)!;
    return Buffer.from(file.subarray(e.at + 8, e.at + 8 + e.length)).toString('latin1');
  };
  t.equal(uid(0x00020002), `${SopClass.CTImage}\0`, 'Media Storage SOP Class: CT, NUL-padded');
  t.equal(uid(0x00020012).replace(/\0$/, ''), IMPLEMENTATION_CLASS_UID);
  t.equal(uid(0x00280008), '3 ', 'NumberOfFrames, space-padded');

  // Basic Offset Table: the offset of each frame's item, from the first item after the table.
  const pixel = elements.at(-1)!;
  const dv = new DataView(file.buffer);
  const bot = pixel.at + 12;
  t.equal(dv.getUint32(bot + 4, true), 12, 'BOT item holds 3 offsets');
  const firstItem = bot + 8 + 12;
  for (let i = 0; i < 3; i++) {
    const item = firstItem + dv.getUint32(bot + 8 + 4 * i, true);
    t.equal(dv.getUint32(item, true), 0xe000fffe, `offset ${i} points at an item tag`);
    const length = dv.getUint32(item + 4, true);
    t.ok(padded(frames[i]!).equals(file.subarray(item + 8, item + 8 + length)), `frame ${i} is there, padded to ${length}`);
  }
  const { d, frames: back } = await readBack([file]);
  t.equal(d.frames, 3);
  t.same(back.map((f) => f.length), frames.map((f) => padded(f).length), 'our reader finds the three fragments');

  const dir = tempDir(t);
  writeFileSync(join(dir, 'mf.dcm'), file);
  t.match(run('gdcminfo', [join(dir, 'mf.dcm')]), /Dimensions: \(128,128,3\)/, 'gdcminfo: 128 x 128 x 3');
  const expected = Buffer.concat([1, 2, 3].map((seed) => Buffer.from(bytesOf(ctSlice({ seed, size: 128 })))));
  t.ok(gdcmPixels(dir, 'mf.dcm').equals(expected), 'GDCM (its own CharLS) decodes all three frames to the phantoms');
});

t.test('independent tools agree: dcmdump parses, gdcminfo reports size and syntax, GDCM decodes exactly', async (t) => {
  const dir = tempDir(t);
  const cases: [Codec | 'native', boolean][] = [
    ['j2k', true],
    ['j2k', false],
    ['jpegls', true],
    ['jpegls', false],
    ['htj2k', true],
    ['htj2k', false],
    ['native', true],
  ];
  for (const [codec, lossless] of cases) {
    const name = `${codec}_${lossless ? 'lossless' : 'lossy'}.dcm`;
    const plan = codec === 'native' ? null : planEncoding(CT, codec, { lossless });
    const frame = codec === 'native' ? bytesOf(hu) : await encodeFrame(hu, CT, codec, { lossless });
    const syntax = plan?.transferSyntax ?? TransferSyntax.ExplicitVRLittleEndian;
    const size = await writePart10File(join(dir, name), ctSpec(syntax, name), [frame]);
    t.ok(Buffer.from(writePart10(ctSpec(syntax, name), [frame])).equals(readFileSync(join(dir, name))), `${name}: file writer = in-memory writer (${size} bytes)`);
    const dump = spawnSync('dcmdump', [join(dir, name)], { encoding: 'utf8' });
    t.equal(dump.status, 0, `${name}: dcmdump exit 0`);
    t.equal(dump.stderr, '', `${name}: dcmdump has no warnings`);
    t.match(dump.stdout, new RegExp(`\\(0002,0010\\) UI [=\\[]`), `${name}: dcmdump sees the transfer syntax`);
    if (plan?.lossy) {
      t.match(dump.stdout, /\(0028,2110\) CS \[01\]/, `${name}: Lossy Image Compression 01`);
      t.match(dump.stdout, new RegExp(`\\(0028,2114\\) CS \\[${plan.method}\\]`), `${name}: method ${plan.method}`);
    } else {
      t.notMatch(dump.stdout, /\(0028,2110\)/, `${name}: no lossy flag`);
    }
    if (codec === 'htj2k') continue; // GDCM 3.0.21 does not know the HTJ2K UIDs; see the next test
    const info = run('gdcminfo', [join(dir, name)]);
    t.match(info, new RegExp(`TransferSyntax is ${syntax.replaceAll('.', '\\.')} `), `${name}: gdcminfo syntax`);
    t.match(info, /Dimensions: \(512,512,1\)/, `${name}: gdcminfo dimensions`);
    t.match(info, /PhotometricInterpretation: MONOCHROME2/, `${name}: gdcminfo photometric`);
    if (lossless) t.ok(gdcmPixels(dir, name).equals(bytesOf(hu)), `${name}: GDCM decodes to the phantom's exact stored values`);
  }
});

t.test('HTJ2K codestreams decode exactly with an independent decoder (OpenJPEG 2.5 via GDCM)', async (t) => {
  // GDCM 3.0.21 refuses the HTJ2K transfer syntax UIDs, but its OpenJPEG 2.5 decodes Part 15
  // (HT) codestreams. A copy labelled JPEG 2000 Lossless hands it our codestream unchanged.
  const dir = tempDir(t);
  const cxr = radiograph({ seed: 2, width: 512, height: 512 });
  const cases = [
    { name: 'ct', pixels: hu, layout: CT, spec: ctSpec(TransferSyntax.JPEG2000Lossless, 'htj-ct') },
    {
      name: 'cxr',
      pixels: cxr,
      layout: { width: 512, height: 512, bitsStored: 12, signed: false, samples: 1 } as FrameLayout,
      spec: ctSpec(TransferSyntax.JPEG2000Lossless, 'htj-cxr', { bitsStored: 12, pixelRepresentation: 0, modality: 'DX', rescaleIntercept: undefined, rescaleSlope: undefined }),
    },
  ];
  for (const c of cases) {
    const cs = await encodeFrame(c.pixels, c.layout, 'htj2k', { lossless: true });
    await writePart10File(join(dir, `${c.name}.dcm`), c.spec, [cs]);
    t.ok(gdcmPixels(dir, `${c.name}.dcm`).equals(bytesOf(c.pixels)), `${c.name}: OpenJPEG decodes the OpenJPH codestream to the exact stored values`);
  }
});

t.test('native files hold little-endian stored values; defaults and checks', async (t) => {
  const file = writePart10(ctSpec(TransferSyntax.ExplicitVRLittleEndian, 'native'), [bytesOf(hu)]);
  const { d, frames } = await readBack(part10Chunks(ctSpec(TransferSyntax.ExplicitVRLittleEndian, 'native'), [bytesOf(hu)]));
  t.equal(d.encapsulated, false);
  t.ok(Buffer.from(frames[0]!).equals(bytesOf(hu)), 'native frame = the Int16Array bytes');
  t.ok(walk(file).some((e) => e.tag === 0x7fe00010 && e.vr === 'OW' && e.length === 512 * 512 * 2), 'Pixel Data is OW of the frame size');

  // Secondary Capture by default, with Conversion Type SYN (a synthetic image).
  const sc = writePart10(ctSpec(TransferSyntax.ExplicitVRLittleEndian, 'sc', { modality: undefined, rescaleIntercept: -1024, rescaleSlope: 1 }), [bytesOf(hu)]);
  const text = Buffer.from(sc).toString('latin1');
  t.ok(text.includes(SopClass.SecondaryCapture) && text.includes('SYN') && text.includes('OT'), 'SC, conversion SYN, modality OT');
  t.ok(text.includes('US'), 'Rescale Type US (unspecified) for a non-CT modality LUT');

  const err = (field: string, message: RegExp) => ({ code: 'DF_ERR_SYNTH_OPTION', where: { field }, message });
  const base = ctSpec(TransferSyntax.ExplicitVRLittleEndian, 'bad');
  t.throws(() => writePart10({ ...base, transferSyntax: '1.2.3' }, [bytesOf(hu)]), err('transferSyntax', /1\.2\.3 is not a known transfer syntax/));
  t.throws(() => writePart10({ ...base, transferSyntax: TransferSyntax.MPEG4HP41 }, [bytesOf(hu)]), err('transferSyntax', /is not written by this writer/));
  t.throws(() => writePart10(base, [new Uint8Array(10)]), err('frames', /native frame 0 has 10 bytes; 512x512x1 at 16 bits needs 524288/));
  t.throws(() => writePart10({ ...base, frames: 2 }, [bytesOf(hu)]), err('frames', /spec\.frames is 2 but 1 frame\(s\) were given/));
  t.throws(() => writePart10({ ...base, windowWidth: undefined }, [bytesOf(hu)]), err('windowWidth', /windowCenter and windowWidth go together/));
  t.throws(() => writePart10({ ...base, ids: { ...base.ids, sopInstanceUid: '1.2.03' } }, [bytesOf(hu)]), { code: 'DF_ERR_SYNTH_OPTION', message: /not a valid UID/ });
});
