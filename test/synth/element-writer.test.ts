import t from 'tap';
import { ITEM, UNDEFINED_LENGTH, elementHeader, formatDS, stringElement, ulElement, usElement } from '../../src/synth/element-writer.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

t.test('elements are explicit VR little endian with even, correctly padded values', async (t) => {
  // UI: odd length padded with NUL.
  t.equal(hex(stringElement(0x00020010, 'UI', '1.2.840.10008.1.2.1')), `0200100055491400${Buffer.from('1.2.840.10008.1.2.1').toString('hex')}00`);
  // CS: odd length padded with a space; several values joined by backslashes.
  t.equal(Buffer.from(stringElement(0x00080008, 'CS', ['DERIVED', 'SECONDARY'])).subarray(8).toString('latin1'), 'DERIVED\\SECONDARY ');
  t.equal(hex(stringElement(0x00080060, 'CS', 'CT')), '08006000435302004354');
  t.equal(hex(stringElement(0x00100040, 'CS', '')), '1000400043530000', 'empty value: zero length');
  t.equal(hex(usElement(0x00280010, 512)), '28001000555302000002');
  t.equal(hex(ulElement(0x00020000, 206)), '02000000554c0400ce000000');
  t.equal(hex(elementHeader(0x7fe00010, 'OB', UNDEFINED_LENGTH)), 'e07f10004f420000ffffffff', 'OB: reserved bytes and a 4-byte length');
  t.equal(hex(elementHeader(ITEM, '', 4)), 'feff00e004000000', 'items have no VR');
});

t.test('values are checked against their VR', async (t) => {
  const err = (message: RegExp) => ({ code: 'DF_ERR_SYNTH_OPTION', message });
  t.throws(() => stringElement(0x00080060, 'CS', 'ct'), err(/\(0008,0060\) CS value "ct" may hold only A-Z, 0-9, space and underscore/));
  t.throws(() => stringElement(0x00200013, 'IS', '1.5'), err(/is not an Integer String/));
  t.throws(() => stringElement(0x00100020, 'LO', 'x'.repeat(65)), err(/longer than 64 characters/));
  t.throws(() => stringElement(0x00100010, 'PN', 'Müller'), err(/printable ASCII/));
  t.throws(() => stringElement(0x00080018, 'UI', '1.02.3'), err(/is not a valid UID/));
  t.throws(() => usElement(0x00280010, 70000), err(/US value must be an integer 0\.\.65535 \(got 70000\)/));
  t.throws(() => elementHeader(0x00100010, 'PN', 70000), err(/exceeds the 16-bit length field/));
});

t.test('formatDS fits any number in 16 characters', async (t) => {
  t.equal(formatDS(-1024), '-1024');
  t.equal(formatDS(1), '1');
  t.equal(formatDS(0.5), '0.5');
  t.equal(formatDS(1 / 3), '0.33333333333333');
  t.equal(formatDS(-1 / 3), '-0.3333333333333');
  t.equal(formatDS(1e-7), '1e-7');
  t.equal(formatDS(123456789.123456789), '123456789.123457');
  t.equal(formatDS(Math.PI * 1e20), '3.1415926536e+20');
  t.equal(formatDS(-Math.E * 1e-20), '-2.718281828e-20');
  for (const n of [Math.PI * 1e20, -Math.E * 1e-20, 2 ** 53, -1 / 7]) {
    const s = formatDS(n);
    t.ok(s.length <= 16 && Math.abs(Number(s) - n) <= Math.abs(n) * 1e-9, `${n} -> ${s}`);
  }
  t.throws(() => formatDS(NaN), { code: 'DF_ERR_SYNTH_OPTION' });
});
