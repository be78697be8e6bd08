import t from 'tap';
import { IMPLEMENTATION_CLASS_UID, isValidUid, makeUid } from '../../src/synth/uid.js';

t.test('makeUid gives valid, deterministic 2.25 UIDs', async (t) => {
  const a = makeUid('study/1');
  t.equal(a, makeUid('study/1'), 'same seed, same UID');
  t.not(a, makeUid('study/2'), 'other seed, other UID');
  t.equal(makeUid(7), makeUid('7'), 'numbers and their strings name the same UID');
  t.match(a, /^2\.25\.[1-9][0-9]*$/);
  for (let i = 0; i < 2000; i++) {
    const u = makeUid(i);
    if (!isValidUid(u) || u.length > 44) t.fail(`${u} (seed ${i})`);
  }
  // The decimal is a version-5 RFC 4122 UUID: version nibble 5, variant bits 10.
  const hex = BigInt(a.slice(5)).toString(16).padStart(32, '0');
  t.equal(hex[12], '5', 'UUID version 5');
  t.ok(['8', '9', 'a', 'b'].includes(hex[16]!), 'RFC 4122 variant');
  t.ok(isValidUid(IMPLEMENTATION_CLASS_UID) && IMPLEMENTATION_CLASS_UID.startsWith('2.25.'));
  t.equal(IMPLEMENTATION_CLASS_UID, makeUid('dicomflow implementation class'), 'fixed across runs');
});

t.test('isValidUid applies PS3.5 9.1', async (t) => {
  t.ok(isValidUid('1.2.840.10008.1.2.4.90'));
  t.ok(isValidUid('0.0'));
  t.notOk(isValidUid(''), 'empty');
  t.notOk(isValidUid('1.02'), 'leading zero');
  t.notOk(isValidUid('1..2'), 'empty component');
  t.notOk(isValidUid('1.2.'), 'trailing dot');
  t.notOk(isValidUid(`1.${'2'.repeat(63)}`), 'longer than 64');
  t.notOk(isValidUid('1.2a'), 'not a digit');
});
