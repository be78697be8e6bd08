/**
 * Grayscale <-> RGB, so every sample has the channel count the model expects.
 */
import type { FloatImage } from './types.js';

/** BT.601 luma weights, the same as the Y row of DICOM's YBR_FULL (PS3.3 C.7.6.3.1.2). */
export const LUMA = Object.freeze({ r: 0.299, g: 0.587, b: 0.114 });

/**
 * An image with `channels` channels: RGB -> 1 is luminance
 * 0.299 R + 0.587 G + 0.114 B; 1 -> 3 replicates the gray value. Returns the
 * input itself when it already has that many channels.
 *
 * @example
 *   toChannels({ data: Float32Array.of(1, 0, 0), width: 1, height: 1, channels: 3 }, 1).data // [0.299]
 */
export function toChannels(img: FloatImage, channels: 1 | 3): FloatImage {
  if (img.channels === channels) return img;
  const n = img.width * img.height;
  const src = img.data;
  if (img.channels === 1 && channels === 3) {
    const data = new Float32Array(n * 3);
    for (let i = 0, o = 0; i < n; i++, o += 3) {
      const v = src[i]!;
      data[o] = v;
      data[o + 1] = v;
      data[o + 2] = v;
    }
    return { data, width: img.width, height: img.height, channels: 3 };
  }
  if (img.channels === 3 && channels === 1) {
    const data = new Float32Array(n);
    for (let i = 0, j = 0; i < n; i++, j += 3) data[i] = LUMA.r * src[j]! + LUMA.g * src[j + 1]! + LUMA.b * src[j + 2]!;
    return { data, width: img.width, height: img.height, channels: 1 };
  }
  throw new RangeError(`cannot convert ${img.channels} channels to ${channels}`);
}
