/**
 * Transfer syntaxes by name. Everything else in the code refers to these
 * constants; UID string literals live only here.
 */
export const TransferSyntax = {
  ImplicitVRLittleEndian: '1.2.840.10008.1.2',
  ExplicitVRLittleEndian: '1.2.840.10008.1.2.1',
  EncapsulatedUncompressedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.98',
  DeflatedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.99',
  ExplicitVRBigEndian: '1.2.840.10008.1.2.2',
  JPEGBaseline8Bit: '1.2.840.10008.1.2.4.50',
  JPEGExtended12Bit: '1.2.840.10008.1.2.4.51',
  JPEGLossless: '1.2.840.10008.1.2.4.57',
  JPEGLosslessSV1: '1.2.840.10008.1.2.4.70',
  JPEGLSLossless: '1.2.840.10008.1.2.4.80',
  JPEGLSNearLossless: '1.2.840.10008.1.2.4.81',
  JPEG2000Lossless: '1.2.840.10008.1.2.4.90',
  JPEG2000: '1.2.840.10008.1.2.4.91',
  JPEG2000MCLossless: '1.2.840.10008.1.2.4.92',
  JPEG2000MC: '1.2.840.10008.1.2.4.93',
  MPEG2MPML: '1.2.840.10008.1.2.4.100',
  MPEG2MPHL: '1.2.840.10008.1.2.4.101',
  MPEG4HP41: '1.2.840.10008.1.2.4.102',
  MPEG4HP41BD: '1.2.840.10008.1.2.4.103',
  MPEG4HP422D: '1.2.840.10008.1.2.4.104',
  MPEG4HP423D: '1.2.840.10008.1.2.4.105',
  MPEG4HP42Stereo: '1.2.840.10008.1.2.4.106',
  HEVCMP51: '1.2.840.10008.1.2.4.107',
  HEVCM10P51: '1.2.840.10008.1.2.4.108',
  HTJ2KLossless: '1.2.840.10008.1.2.4.201',
  HTJ2KLosslessRPCL: '1.2.840.10008.1.2.4.202',
  HTJ2K: '1.2.840.10008.1.2.4.203',
  RLELossless: '1.2.840.10008.1.2.5',
} as const;

export type TransferSyntaxUid = (typeof TransferSyntax)[keyof typeof TransferSyntax];

/** What a transfer syntax means for the container (how elements and pixel data are laid out). */
export interface SyntaxInfo {
  uid: string;
  name: string;
  explicitVR: boolean;
  littleEndian: boolean;
  deflated: boolean;
  encapsulated: boolean;
  lossy: boolean;
  /** Video syntaxes hold all frames in one bitstream; dicomflow does not split or decode them. */
  video: boolean;
  /** Byte pattern every frame's codestream starts with, used to find frame boundaries when there is no offset table. */
  frameStartMarker: Uint8Array | null;
}

const JPEG_SOI = Uint8Array.of(0xff, 0xd8);
const J2K_SOC_SIZ = Uint8Array.of(0xff, 0x4f, 0xff, 0x51);

function native(uid: string, name: string, explicitVR: boolean, littleEndian: boolean, deflated = false): SyntaxInfo {
  return { uid, name, explicitVR, littleEndian, deflated, encapsulated: false, lossy: false, video: false, frameStartMarker: null };
}
function encapsulated(uid: string, name: string, lossy: boolean, marker: Uint8Array | null, video = false): SyntaxInfo {
  return { uid, name, explicitVR: true, littleEndian: true, deflated: false, encapsulated: true, lossy, video, frameStartMarker: marker };
}

const T = TransferSyntax;
const table: SyntaxInfo[] = [
  native(T.ImplicitVRLittleEndian, 'Implicit VR Little Endian', false, true),
  native(T.ExplicitVRLittleEndian, 'Explicit VR Little Endian', true, true),
  native(T.DeflatedExplicitVRLittleEndian, 'Deflated Explicit VR Little Endian', true, true, true),
  native(T.ExplicitVRBigEndian, 'Explicit VR Big Endian', true, false),
  encapsulated(T.EncapsulatedUncompressedExplicitVRLittleEndian, 'Encapsulated Uncompressed Explicit VR Little Endian', false, null),
  encapsulated(T.JPEGBaseline8Bit, 'JPEG Baseline (Process 1)', true, JPEG_SOI),
  encapsulated(T.JPEGExtended12Bit, 'JPEG Extended (Process 2 & 4)', true, JPEG_SOI),
  encapsulated(T.JPEGLossless, 'JPEG Lossless (Process 14)', false, JPEG_SOI),
  encapsulated(T.JPEGLosslessSV1, 'JPEG Lossless SV1 (Process 14, selection value 1)', false, JPEG_SOI),
  encapsulated(T.JPEGLSLossless, 'JPEG-LS Lossless', false, JPEG_SOI),
  encapsulated(T.JPEGLSNearLossless, 'JPEG-LS Near-Lossless', true, JPEG_SOI),
  encapsulated(T.JPEG2000Lossless, 'JPEG 2000 Lossless', false, J2K_SOC_SIZ),
  encapsulated(T.JPEG2000, 'JPEG 2000', true, J2K_SOC_SIZ),
  encapsulated(T.JPEG2000MCLossless, 'JPEG 2000 Part 2 Multi-component Lossless', false, J2K_SOC_SIZ),
  encapsulated(T.JPEG2000MC, 'JPEG 2000 Part 2 Multi-component', true, J2K_SOC_SIZ),
  encapsulated(T.HTJ2KLossless, 'High-Throughput JPEG 2000 Lossless', false, J2K_SOC_SIZ),
  encapsulated(T.HTJ2KLosslessRPCL, 'High-Throughput JPEG 2000 Lossless RPCL', false, J2K_SOC_SIZ),
  encapsulated(T.HTJ2K, 'High-Throughput JPEG 2000', true, J2K_SOC_SIZ),
  // RLE needs no marker: PS3.5 A.4.2 requires exactly one fragment per frame.
  encapsulated(T.RLELossless, 'RLE Lossless', false, null),
  encapsulated(T.MPEG2MPML, 'MPEG2 Main Profile @ Main Level', true, null, true),
  encapsulated(T.MPEG2MPHL, 'MPEG2 Main Profile @ High Level', true, null, true),
  encapsulated(T.MPEG4HP41, 'MPEG-4 AVC/H.264 High Profile 4.1', true, null, true),
  encapsulated(T.MPEG4HP41BD, 'MPEG-4 AVC/H.264 BD-compatible High Profile 4.1', true, null, true),
  encapsulated(T.MPEG4HP422D, 'MPEG-4 AVC/H.264 High Profile 4.2 for 2D Video', true, null, true),
  encapsulated(T.MPEG4HP423D, 'MPEG-4 AVC/H.264 High Profile 4.2 for 3D Video', true, null, true),
  encapsulated(T.MPEG4HP42Stereo, 'MPEG-4 AVC/H.264 Stereo High Profile 4.2', true, null, true),
  encapsulated(T.HEVCMP51, 'HEVC/H.265 Main Profile 5.1', true, null, true),
  encapsulated(T.HEVCM10P51, 'HEVC/H.265 Main 10 Profile 5.1', true, null, true),
];

const byUid = new Map(table.map((s) => [s.uid, s]));

/** Container facts for a transfer syntax UID, or undefined when it is unknown. */
export function syntaxInfo(uid: string): SyntaxInfo | undefined {
  return byUid.get(uid);
}

/** All known transfer syntaxes (for docs and the CLI). */
export function knownSyntaxes(): readonly SyntaxInfo[] {
  return table;
}
