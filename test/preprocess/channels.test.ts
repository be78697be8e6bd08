import t from 'tap';
import { toChannels } from '../../src/preprocess/channels.js';
import { image, near } from './fixtures/build.js';

t.test('RGB to luminance 0.299 R + 0.587 G + 0.114 B', async (t) => {
  const gray = toChannels(image([1, 0, 0, 0, 1, 0, 0, 0, 1, 10, 20, 30], 4, 1, 3), 1);
  t.equal(gray.channels, 1);
  // 2.99 + 11.74 + 3.42
  near(t, gray.data, [0.299, 0.587, 0.114, 18.15], 'luminance');
});

t.test('gray to 3 channels replicates', async (t) => {
  const rgb = toChannels(image([1, 2], 2, 1), 3);
  t.same([rgb.width, rgb.height, rgb.channels], [2, 1, 3]);
  t.same([...rgb.data], [1, 1, 1, 2, 2, 2]);
});

t.test('same channel count returns the image itself', async (t) => {
  const img = image([1, 2], 2, 1);
  t.equal(toChannels(img, 1), img);
});
