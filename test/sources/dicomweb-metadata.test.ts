import t from 'tap';
import { metadataAttributes } from '../../src/sources/dicomweb.js';

t.test('DICOM JSON metadata says which pixel data element an instance has (float frames are not integers)', async (t) => {
  const base = { '00280010': { vr: 'US', Value: [2] }, '00280011': { vr: 'US', Value: [2] } };
  t.equal(metadataAttributes({ ...base, '7FE00010': { vr: 'OW' } }).pixelData, 'integer');
  t.equal(metadataAttributes({ ...base, '7FE00008': { vr: 'OF' } }).pixelData, 'float32');
  t.equal(metadataAttributes({ ...base, '7FE00009': { vr: 'OD' } }).pixelData, 'float64');
  t.equal(metadataAttributes(base).pixelData, 'integer', 'no bulk data key: integer, as before');
});
