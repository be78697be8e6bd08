/**
 * The tags the reader looks at, as (group << 16 | element) numbers. Only the
 * pixel description and ids are read from the header; every other attribute
 * is skipped without being kept.
 */
export const Tag = {
  FileMetaGroupLength: 0x00020000,
  TransferSyntaxUID: 0x00020010,
  SOPInstanceUID: 0x00080018,
  PatientID: 0x00100020,
  StudyInstanceUID: 0x0020000d,
  SeriesInstanceUID: 0x0020000e,
  SamplesPerPixel: 0x00280002,
  PhotometricInterpretation: 0x00280004,
  PlanarConfiguration: 0x00280006,
  NumberOfFrames: 0x00280008,
  Rows: 0x00280010,
  Columns: 0x00280011,
  BitsAllocated: 0x00280100,
  BitsStored: 0x00280101,
  HighBit: 0x00280102,
  PixelRepresentation: 0x00280103,
  WindowCenter: 0x00281050,
  WindowWidth: 0x00281051,
  RescaleIntercept: 0x00281052,
  RescaleSlope: 0x00281053,
  FrameVOILUTSequence: 0x00289132,
  PixelValueTransformationSequence: 0x00289145,
  SharedFunctionalGroupsSequence: 0x52009229,
  PerFrameFunctionalGroupsSequence: 0x52009230,
  ExtendedOffsetTable: 0x7fe00001,
  ExtendedOffsetTableLengths: 0x7fe00002,
  FloatPixelData: 0x7fe00008,
  DoubleFloatPixelData: 0x7fe00009,
  PixelData: 0x7fe00010,
  Item: 0xfffee000,
  ItemDelimitation: 0xfffee00d,
  SequenceDelimitation: 0xfffee0dd,
} as const;

/** `(7FE0,0010)` style, for messages. */
export function tagString(tag: number): string {
  const g = (tag >>> 16).toString(16).toUpperCase().padStart(4, '0');
  const e = (tag & 0xffff).toString(16).toUpperCase().padStart(4, '0');
  return `(${g},${e})`;
}

/**
 * The three elements that can hold an image's pixels (PS3.3 C.7.6.3 and
 * C.7.6.24): integer Pixel Data, Float Pixel Data (OF) and Double Float Pixel
 * Data (OD). A data set holds exactly one of them at the top level.
 */
export const PIXEL_DATA_TAGS: ReadonlySet<number> = new Set([Tag.FloatPixelData, Tag.DoubleFloatPixelData, Tag.PixelData]);

/** `Float Pixel Data (7FE0,0008)` style, for messages about the pixel data element. */
export function pixelDataName(tag: number): string {
  const name = tag === Tag.FloatPixelData ? 'Float Pixel Data' : tag === Tag.DoubleFloatPixelData ? 'Double Float Pixel Data' : 'Pixel Data';
  return `${name} ${tagString(tag)}`;
}

/** Sequences whose items the reader walks (in implicit VR it cannot tell an SQ from its bytes). */
export const WALKED_SEQUENCES: ReadonlySet<number> = new Set([
  Tag.SharedFunctionalGroupsSequence,
  Tag.PerFrameFunctionalGroupsSequence,
  Tag.PixelValueTransformationSequence,
  Tag.FrameVOILUTSequence,
]);

/** VRs whose explicit-VR header has 2 reserved bytes and a 32-bit length (PS3.5 7.1.2). */
export const LONG_VRS: ReadonlySet<string> = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

export const UNDEFINED_LENGTH = 0xffffffff;
