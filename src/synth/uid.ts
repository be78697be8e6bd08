/**
 * Deterministic DICOM UIDs for synthetic data. DICOM's `2.25.` root takes a
 * UUID written as one decimal integer (PS3.5 B.2), so no organisational root
 * needs registering. The UUID here is name-based (RFC 4122 version 5: SHA-1
 * of a namespace and the name), so the same seed always gives the same UID
 * and different seeds practically never collide.
 */
import { createHash } from 'node:crypto';

/** Namespace UUID of dicomflow's synthetic data (fixed: changing it changes every UID). */
const NAMESPACE = Buffer.from('6a1f3c2e5b0d4e8f9a7c1d2e3f405162', 'hex');

/**
 * A `2.25.<decimal>` UID (at most 44 characters) named by `seed`.
 *
 * @example
 *   makeUid('corpus/1/ct/0001/study'); // '2.25.' followed by up to 39 digits, the same on every run
 */
export function makeUid(seed: string | number): string {
  const hash = createHash('sha1').update(NAMESPACE).update(String(seed), 'utf8').digest();
  const uuid = hash.subarray(0, 16);
  uuid[6] = (uuid[6]! & 0x0f) | 0x50; // version 5
  uuid[8] = (uuid[8]! & 0x3f) | 0x80; // RFC 4122 variant
  return `2.25.${BigInt(`0x${uuid.toString('hex')}`).toString(10)}`;
}

/** The Implementation Class UID written into every file's meta header. */
export const IMPLEMENTATION_CLASS_UID = makeUid('dicomflow implementation class');

/**
 * True for a syntactically valid UID: at most 64 characters, dot-separated
 * decimal components without leading zeros (PS3.5 9.1).
 *
 * @example
 *   isValidUid('1.2.840.10008.1.2.1'); // true
 *   isValidUid('1.02.3');              // false
 */
export function isValidUid(uid: string): boolean {
  return uid.length > 0 && uid.length <= 64 && /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/.test(uid);
}
