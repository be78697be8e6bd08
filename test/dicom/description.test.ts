import t from 'tap';
import { cat, el, encapsulatedPixelData, meta, readAll, UNDEFINED, EBE, ELE } from '../helpers/dicom.js';
import { describeAttributes, nativeFrameBytes, type AttributeSource } from '../../src/dicom/description.js';
import { syntaxInfo } from '../../src/dicom/transfer-syntax.js';
import { Tag } from '../../src/dicom/tags.js';
import { TS, bits1File, floatFile, pixelModule } from './build-classes.js';

t.test('nativeFrameBytes: whole bytes for 1-bit frames', async (t) => {
  const d = { samplesPerPixel: 1, photometricInterpretation: 'MONOCHROME2' };
  t.equal(nativeFrameBytes({ ...d, rows: 11, columns: 13, bitsAllocated: 1 }), 18, 'ceil(143 / 8)');
  t.equal(nativeFrameBytes({ ...d, rows: 8, columns: 8, bitsAllocated: 1 }), 8);
  t.equal(nativeFrameBytes({ ...d, rows: 2, columns: 3, bitsAllocated: 32 }), 24);
  t.equal(nativeFrameBytes({ ...d, rows: 2, columns: 3, bitsAllocated: 64 }), 48);
});

t.test('a 1-bit file is described as a mask', async (t) => {
  const r = await readAll(bits1File({ rows: 11, columns: 13, frames: 3 }).bytes);
  t.equal(r.error, null);
  t.match(r.description, {
    pixelData: 'integer',
    bitsAllocated: 1,
    bitsStored: 1,
    highBit: 0,
    pixelRepresentation: 0,
    frames: 3,
    frameBytes: 18,
    rescaleSlope: null,
    rescaleIntercept: null,
  });
});

t.test('1-bit: BitsStored 1 and HighBit 0 are required', async (t) => {
  const file = (o: { bitsStored?: number; highBit?: number; pixelRepresentation?: number }) =>
    cat(meta(TS.explicitLE), pixelModule({ rows: 4, columns: 4, bitsAllocated: 1, ...o }), el(0x7fe00010, 'OB', new Uint8Array(2)));
  let r = await readAll(file({ bitsStored: 2, highBit: 1 }));
  t.equal(r.error?.code, 'DF_ERR_PIXEL_DESCRIPTION');
  t.match(r.error?.message, /BitsAllocated 1 needs BitsStored 1 and HighBit 0 \(got BitsStored 2, HighBit 1\)/);
  r = await readAll(file({ bitsStored: 1, highBit: 7 }));
  t.equal(r.error?.code, 'DF_ERR_PIXEL_DESCRIPTION', 'HighBit 7');
  r = await readAll(file({ pixelRepresentation: 1 }));
  t.equal(r.error?.code, 'DF_ERR_PIXEL_DESCRIPTION', 'signed 1-bit');
  r = await readAll(cat(meta(TS.explicitLE), pixelModule({ rows: 4, columns: 4, bitsAllocated: 1, samplesPerPixel: 3, photometric: 'RGB' }), el(0x7fe00010, 'OB', new Uint8Array(6))));
  t.equal(r.error?.code, 'DF_ERR_UNSUPPORTED_PIXEL_FORMAT', '1-bit colour');
});

t.test('1-bit in an encapsulated syntax is unsupported, naming the syntax', async (t) => {
  for (const [uid, name] of [
    [TS.rle, 'RLE Lossless'],
    [TS.j2kLossless, 'JPEG 2000 Lossless'],
    [TS.encapsulatedUncompressed, 'Encapsulated Uncompressed Explicit VR Little Endian'],
  ] as const) {
    const r = await readAll(cat(meta(uid), pixelModule({ rows: 8, columns: 8, bitsAllocated: 1 }), encapsulatedPixelData([new Uint8Array(8)])));
    t.equal(r.error?.code, 'DF_ERR_UNSUPPORTED_PIXEL_FORMAT', name);
    t.match(r.error?.message, `BitsAllocated 1 (bit-packed pixels) in ${name} (${uid}) is not supported`);
    t.equal(r.error?.details?.transferSyntax, uid);
  }
});

t.test('the decompression-bomb guard counts 1-bit frames unpacked, one byte per pixel', async (t) => {
  const { bytes } = bits1File({ rows: 64, columns: 64, frames: 1 }); // 512 bytes packed, 4096 unpacked
  let r = await readAll(bytes, 65536, { maxFrameBytes: 4095 });
  t.equal(r.error?.code, 'DF_ERR_FRAME_TOO_LARGE');
  t.equal(r.error?.details?.frameBytes, 4096);
  t.match(r.error?.message, /4096 bytes unpacked/);
  r = await readAll(bytes, 65536, { maxFrameBytes: 4096 });
  t.equal(r.error, null, 'exactly at the limit');
  t.equal(r.description?.frameBytes, 512, 'the frame the reader delivers is still packed');
});

t.test('Float and Double Float Pixel Data are described as float32 / float64', async (t) => {
  let r = await readAll(floatFile({ rows: 2, columns: 3, frames: 2, kind: 'float32', values: new Array(12).fill(1) }));
  t.equal(r.error, null);
  t.match(r.description, { pixelData: 'float32', bitsAllocated: 32, bitsStored: 32, highBit: 31, pixelRepresentation: 0, frameBytes: 24, frames: 2 });
  r = await readAll(floatFile({ rows: 2, columns: 3, frames: 1, kind: 'float64', values: new Array(6).fill(1), bigEndian: true }));
  t.equal(r.error, null);
  t.match(r.description, { pixelData: 'float64', bitsAllocated: 64, frameBytes: 48, transferSyntax: TS.explicitBE });
  r = await readAll(bits1File({ rows: 2, columns: 2, frames: 1 }).bytes);
  t.equal(r.description?.pixelData, 'integer');
});

t.test('float: BitsStored, HighBit and PixelRepresentation a file carries anyway are not read', async (t) => {
  const module = pixelModule({ rows: 1, columns: 2, bitsAllocated: 32, bitsStored: 12, highBit: 11, pixelRepresentation: 1 });
  const r = await readAll(cat(meta(TS.explicitLE), module, el(0x7fe00008, 'OF', new Uint8Array(8))));
  t.equal(r.error, null);
  t.match(r.description, { bitsStored: 32, highBit: 31, pixelRepresentation: 0 });
});

t.test('float: BitsAllocated must match the element, naming both', async (t) => {
  const file = (tag: number, vr: string, bits: number) =>
    cat(meta(TS.explicitLE), pixelModule({ rows: 1, columns: 1, bitsAllocated: bits, bitsStored: null, pixelRepresentation: null }), el(tag, vr, new Uint8Array(8)));
  let r = await readAll(file(0x7fe00008, 'OF', 64));
  t.equal(r.error?.code, 'DF_ERR_PIXEL_DESCRIPTION');
  t.match(r.error?.message, 'Float Pixel Data (7FE0,0008) needs BitsAllocated 32 (got BitsAllocated 64)');
  r = await readAll(file(0x7fe00009, 'OD', 32));
  t.equal(r.error?.code, 'DF_ERR_PIXEL_DESCRIPTION');
  t.match(r.error?.message, 'Double Float Pixel Data (7FE0,0009) needs BitsAllocated 64 (got BitsAllocated 32)');
  r = await readAll(file(0x7fe00009, 'OD', 16));
  t.equal(r.error?.code, 'DF_ERR_PIXEL_DESCRIPTION', 'BitsAllocated 16 for OD');
});

t.test('what stays unsupported is a typed error naming what and where', async (t) => {
  const noBits = { bitsStored: null, pixelRepresentation: null } as const;
  // Float colour.
  let r = await readAll(cat(meta(TS.explicitLE), pixelModule({ rows: 1, columns: 1, bitsAllocated: 32, samplesPerPixel: 3, photometric: 'RGB', ...noBits }), el(0x7fe00008, 'OF', new Uint8Array(12))));
  t.equal(r.error?.code, 'DF_ERR_UNSUPPORTED_PIXEL_FORMAT');
  t.match(r.error?.message, 'Float Pixel Data (7FE0,0008) with SamplesPerPixel 3 (float colour) is not supported');
  t.equal(r.error?.where.file, 'test.dcm');
  t.ok((r.error?.where.offset ?? 0) > 128, 'points at the pixel data element');
  // Float in an encapsulated syntax.
  r = await readAll(cat(meta(TS.j2kLossless), pixelModule({ rows: 1, columns: 1, bitsAllocated: 32, ...noBits }), el(0x7fe00008, 'OF', new Uint8Array(0), ELE, UNDEFINED)));
  t.equal(r.error?.code, 'DF_ERR_UNSUPPORTED_PIXEL_FORMAT');
  t.match(r.error?.message, 'Float Pixel Data (7FE0,0008) in JPEG 2000 Lossless (1.2.840.10008.1.2.4.90) is not supported');
  // 64-bit integers.
  r = await readAll(cat(meta(TS.explicitBE), pixelModule({ rows: 1, columns: 1, bitsAllocated: 64 }, EBE), el(0x7fe00010, 'OW', new Uint8Array(8), EBE)));
  t.equal(r.error?.code, 'DF_ERR_UNSUPPORTED_PIXEL_FORMAT');
  t.match(r.error?.message, 'BitsAllocated 64 in Pixel Data (7FE0,0010)');
  // Float with a palette.
  r = await readAll(cat(meta(TS.explicitLE), pixelModule({ rows: 1, columns: 1, bitsAllocated: 32, photometric: 'PALETTE COLOR', ...noBits }), el(0x7fe00008, 'OF', new Uint8Array(4))));
  t.equal(r.error?.code, 'DF_ERR_UNSUPPORTED_PIXEL_FORMAT');
  // BitsAllocated 12 is simply invalid.
  r = await readAll(cat(meta(TS.explicitLE), pixelModule({ rows: 1, columns: 2, bitsAllocated: 12 }), el(0x7fe00010, 'OW', new Uint8Array(4))));
  t.equal(r.error?.code, 'DF_ERR_PIXEL_DESCRIPTION');
  t.match(r.error?.message, 'BitsAllocated must be 1, 8, 16 or 32 (got 12)');
});

t.test('a data set without any of the three pixel data elements names them', async (t) => {
  const r = await readAll(cat(meta(TS.explicitLE), pixelModule({ rows: 1, columns: 1, bitsAllocated: 8 })));
  t.equal(r.error?.code, 'DF_ERR_NO_PIXEL_DATA');
  t.match(r.error?.message, /Pixel Data \(7FE0,0010\), Float Pixel Data \(7FE0,0008\) or Double Float Pixel Data \(7FE0,0009\)/);
});

t.test('describeAttributes: integer unless the source says which element holds the pixels', async (t) => {
  const values = new Map<number, number | string>([
    [Tag.Rows, 2],
    [Tag.Columns, 2],
    [Tag.BitsAllocated, 32],
    [Tag.PhotometricInterpretation, 'MONOCHROME2'],
  ]);
  const top: AttributeSource = {
    uint16: (tag) => (typeof values.get(tag) === 'number' ? (values.get(tag) as number) : null),
    number: (tag) => (typeof values.get(tag) === 'number' ? (values.get(tag) as number) : null),
    string: (tag) => (typeof values.get(tag) === 'string' ? (values.get(tag) as string) : null),
    has: (tag) => values.has(tag),
  };
  const syntax = syntaxInfo(TS.explicitLE)!;
  t.equal(describeAttributes({ top, shared: top, perFrame: [] }, syntax, { maxFrameBytes: 1e9 }, {}).pixelData, 'integer');
  const d = describeAttributes({ pixelData: 'float32', top, shared: top, perFrame: [] }, syntax, { maxFrameBytes: 1e9 }, {});
  t.match(d, { pixelData: 'float32', frameBytes: 16 });
});
