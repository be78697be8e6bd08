import t from 'tap';
import {
  attributeCheck,
  bootstrapCi,
  cramersV,
  groupFolds,
  oofAuc,
  oofScores,
  permutationP,
  quantileBins,
  statusOf,
  type Category,
} from '../../src/audit/stats.js';
import { createRandom } from '../../src/synth/random.js';
import { rocAuc } from '../../src/train/metrics.js';

/** Expands a contingency table, rows of [category, label, count], into items. */
function table(rows: [Category, number, number][]): { values: Category[]; labels: number[] } {
  const values: Category[] = [];
  const labels: number[] = [];
  for (const [c, y, k] of rows) {
    for (let i = 0; i < k; i++) {
      values.push(c);
      labels.push(y);
    }
  }
  return { values, labels };
}

/** An attribute that predicts the label with P(1 | A) = 0.7, P(1 | B) = 0.3; two items per patient. */
function informative(n: number, seed: number) {
  const r = createRandom(seed);
  const values: Category[] = [];
  const labels: number[] = [];
  const groups: string[] = [];
  for (let i = 0; i < n; i++) {
    const a = r.next() < 0.5;
    values.push(a ? 'A' : 'B');
    labels.push(r.next() < (a ? 0.7 : 0.3) ? 1 : 0);
    groups.push(`p${i >> 1}`);
  }
  return { values, labels, groups };
}

/** Textbook Pearson chi-square of a categories x {0, 1} table (expected = row total * column total / n). */
function chi2Reference(values: Category[], labels: number[]): number {
  const n = labels.length;
  const rows = new Map<Category, [number, number]>();
  for (let i = 0; i < n; i++) {
    const row = rows.get(values[i]!) ?? [0, 0];
    row[labels[i]!]!++;
    rows.set(values[i]!, row);
  }
  const col1 = labels.filter((y) => y === 1).length;
  const cols = [n - col1, col1];
  let chi2 = 0;
  for (const row of rows.values()) {
    const total = row[0] + row[1];
    for (const y of [0, 1]) {
      const expected = (total * cols[y]!) / n;
      chi2 += (row[y]! - expected) ** 2 / expected;
    }
  }
  return chi2;
}

/** Exact permutation p: the share of all distinct label arrangements (each equally likely) at least as extreme. */
function exactPermutationP(values: Category[], labels: number[]): { p: number; arrangements: number } {
  const n = labels.length;
  const positives = labels.filter((y) => y === 1).length;
  const observed = chi2Reference(values, labels);
  let arrangements = 0;
  let extreme = 0;
  for (let mask = 0; mask < 1 << n; mask++) {
    let bits = 0;
    for (let i = 0; i < n; i++) bits += (mask >> i) & 1;
    if (bits !== positives) continue;
    arrangements++;
    const arranged = Array.from({ length: n }, (_, i) => (mask >> i) & 1);
    if (chi2Reference(values, arranged) >= observed - 1e-9) extreme++;
  }
  return { p: extreme / arrangements, arrangements };
}

t.test('oofScores: target encoding fitted on the other fold, by hand', async (t) => {
  // Four patients of two images each; patients 1-2 are fold 0, patients 3-4 fold 1.
  //   item   0  1  2  3 | 4  5  6  7
  //   value  A  A  B  A | A  B  B  B
  //   label  1  1  0  0 | 1  0  1  0
  const values = ['A', 'A', 'B', 'A', 'A', 'B', 'B', 'B'];
  const labels = [1, 1, 0, 0, 1, 0, 1, 0];
  const folds = [0, 0, 0, 0, 1, 1, 1, 1];
  // Fold 0 fitted on items 4-7: prior 2/4 = 0.5; A 1 of 1 -> (1 + 0.5) / (1 + 1) = 0.75; B 1 of 3 -> (1 + 0.5) / (3 + 1) = 0.375
  // Fold 1 fitted on items 0-3: prior 2/4 = 0.5; A 2 of 3 -> (2 + 0.5) / (3 + 1) = 0.625; B 0 of 1 -> (0 + 0.5) / (1 + 1) = 0.25
  const scores = oofScores(values, labels, folds);
  t.same(scores, [0.75, 0.75, 0.375, 0.75, 0.625, 0.25, 0.25, 0.25]);
  // Positives score 0.75, 0.75, 0.625, 0.25; negatives 0.375, 0.75, 0.25, 0.25. Wins over the 4 negatives:
  //   0.75  -> beats 0.375, 0.25, 0.25, ties 0.75 -> 3.5 (twice: 7)
  //   0.625 -> beats 0.375, 0.25, 0.25            -> 3
  //   0.25  -> ties 0.25 twice                    -> 1
  // AUC = (7 + 3 + 1) / 16 = 0.6875
  t.equal(rocAuc(scores, labels), 0.6875);
});

t.test('oofScores: an unseen category gets the prior, missing is a category of its own', async (t) => {
  // Fold 0 = items 0-1, fitted on items 2-4 (labels 1, 0, 0): prior 1/3.
  //   item 0 'C' is unseen -> 1/3; item 1 null: null seen once (item 4, label 0) -> (0 + 1/3) / (1 + 1) = 1/6
  // Fold 1 = items 2-4, fitted on items 0-1 (labels 1, 1): prior 1.
  //   'A' and 'B' unseen -> 1; item 4 null seen once (item 1, label 1) -> (1 + 1) / 2 = 1
  const scores = oofScores(['C', null, 'A', 'B', null], [1, 1, 1, 0, 0], [0, 0, 1, 1, 1]);
  t.same(scores, [1 / 3, 1 / 6, 1, 1, 1]);
});

t.test('oofScores: a constant attribute scores the per-fold prior', async (t) => {
  // Fold 0 = items 0-1, fitted on items 2-3 (labels 1, 0): prior 0.5, A 1 of 2 -> (1 + 0.5) / 3 = 0.5
  // Fold 1 = items 2-3, fitted on items 0-1 (labels 1, 1): prior 1,   A 2 of 2 -> (2 + 1) / 3 = 1
  const scores = oofScores(['A', 'A', 'A', 'A'], [1, 1, 1, 0], [0, 0, 1, 1]);
  t.same(scores, [0.5, 0.5, 1, 1]);
  // The positive-rich fold got the lower prior: positives 0.5, 0.5, 1 against the negative 1 -> (0 + 0 + 0.5) / 3.
  // No signal reads as below 0.5 here, the documented bias towards PASS.
  t.equal(rocAuc(scores, [1, 1, 1, 0]), 1 / 6);
});

t.test('oofAuc: a perfect shortcut gives 1 and a constant attribute 0.5', async (t) => {
  // Ten patients with one positive and one negative image each: five folds of two patients.
  const labels = Array.from({ length: 20 }, (_, i) => i % 2);
  const groups = labels.map((_, i) => `p${i >> 1}`);
  // Each fold trains on 16 items, 8 'P' (all positive) and 8 'N', prior 0.5:
  //   P -> (8 + 0.5) / 9 = 17/18, N -> (0 + 0.5) / 9 = 1/18
  const perfect = oofAuc(
    labels.map((y) => (y ? 'P' : 'N')),
    labels,
    groups,
  );
  t.equal(perfect.auc, 1);
  t.same(perfect.scores, labels.map((y) => (y ? 17 / 18 : 1 / 18)));
  // Constant: (8 + 0.5) / (16 + 1) = 0.5 for every item -> all tied -> 0.5
  const constant = oofAuc(
    labels.map(() => 'X'),
    labels,
    groups,
  );
  t.equal(constant.auc, 0.5);
  t.same(constant.scores, labels.map(() => 0.5));
});

t.test('oofAuc: one group cannot be cross-validated', async (t) => {
  const r = oofAuc(['A', 'B', 'A'], [1, 0, 1], ['p', 'p', 'p']);
  t.ok(Number.isNaN(r.auc));
  t.ok(r.scores.every(Number.isNaN), 'no training items for the only fold');
});

t.test('oofAuc: a label-pure group does not leak into its own score', async (t) => {
  // Each patient has its own value and both images share its label: in-sample the ID
  // separates perfectly, out of fold every ID is unseen and scores the prior.
  const labels = Array.from({ length: 40 }, (_, i) => (i >> 1) % 2);
  const groups = labels.map((_, i) => `p${i >> 1}`);
  const { auc, scores } = oofAuc(groups, labels, groups, { folds: 5, seed: 3 });
  t.ok(auc <= 0.5, `patient ID is no shortcut across patients (auc ${auc})`);
  // 20 patients in 5 folds of 4: a fold of q positive patients trains on (10 - q) of 16 -> prior (10 - q) / 16
  const folds = groupFolds(groups, 5, 3);
  for (let i = 0; i < 40; i++) {
    const q = groups.filter((g, j) => folds[j] === folds[i] && labels[j] === 1 && j % 2 === 0).length;
    t.equal(scores[i], (10 - q) / 16, `item ${i}`);
  }
});

t.test("Cramér's V of a 2x2 table, by hand", async (t) => {
  //        y=0  y=1  total
  //   A     10   20     30
  //   B     30   15     45
  //   total 40   35     75
  // Expected: A0 = 30*40/75 = 16, A1 = 30*35/75 = 14, B0 = 45*40/75 = 24, B1 = 45*35/75 = 21
  // chi2 = 6^2/16 + 6^2/14 + 6^2/24 + 6^2/21 = 36 * (21 + 24 + 14 + 16) / 336 = 2700/336 = 8.0357142857...
  // V = sqrt(chi2/n / min(2-1, 2-1)) = sqrt(36/336) = sqrt(3/28) = 0.3273268353...
  // Bergsma: phi2c = 3/28 - 1*1/74 = 97/1036; rc = kc = 2 - 1/74 = 147/74; min(kc-1, rc-1) = 73/74
  //   vCorrected = sqrt(97/1036 * 74/73) = sqrt(97/1022) = 0.3080778105...
  const { values, labels } = table([
    ['A', 0, 10],
    ['A', 1, 20],
    ['B', 0, 30],
    ['B', 1, 15],
  ]);
  const r = cramersV(values, labels);
  t.ok(Math.abs(r.chi2 - 2700 / 336) < 1e-12, `chi2 ${r.chi2}`);
  t.ok(Math.abs(r.v - 0.3273268353539886) < 1e-12, `v ${r.v}`);
  t.ok(Math.abs(r.vCorrected - 0.3080778105896152) < 1e-12, `vCorrected ${r.vCorrected}`);
  t.ok(Math.abs(r.vCorrected - Math.sqrt(97 / 1022)) < 1e-12);
});

t.test("Cramér's V of a 3x2 table with a missing row, by hand", async (t) => {
  //          y=0  y=1  total
  //   A        5    1      6
  //   B        2    4      6
  //   missing  3    3      6
  //   total   10    8     18
  // Expected per row: 6*10/18 = 10/3 and 6*8/18 = 8/3
  // chi2 = (5/3)^2/(10/3) + (5/3)^2/(8/3) + (4/3)^2/(10/3) + (4/3)^2/(8/3) + (1/3)^2/(10/3) + (1/3)^2/(8/3)
  //      = 5/6 + 25/24 + 8/15 + 2/3 + 1/30 + 1/24 = (100 + 125 + 64 + 80 + 4 + 5) / 120 = 378/120 = 3.15
  // V = sqrt(3.15/18 / min(3-1, 2-1)) = sqrt(0.175) = 0.4183300132...
  // Bergsma: phi2c = 0.175 - (2-1)(3-1)/17 = 0.975/17; rc = 3 - 4/17, kc = 2 - 1/17; min(kc-1, rc-1) = 16/17
  //   vCorrected = sqrt(0.975/16) = sqrt(0.0609375) = 0.2468552207...
  const { values, labels } = table([
    ['A', 0, 5],
    ['A', 1, 1],
    ['B', 0, 2],
    ['B', 1, 4],
    [null, 0, 3],
    [null, 1, 3],
  ]);
  const r = cramersV(values, labels);
  t.ok(Math.abs(r.chi2 - 3.15) < 1e-12, `chi2 ${r.chi2}`);
  t.ok(Math.abs(r.v - Math.sqrt(0.175)) < 1e-12, `v ${r.v}`);
  t.ok(Math.abs(r.vCorrected - Math.sqrt(0.0609375)) < 1e-12, `vCorrected ${r.vCorrected}`);
  t.ok(Math.abs(r.chi2 - chi2Reference(values, labels)) < 1e-12, 'agrees with the textbook formula');
});

t.test("Cramér's V: degenerate tables and a perfect association", async (t) => {
  t.same(cramersV(['A', 'A', 'A'], [0, 1, 1]), { v: 0, vCorrected: 0, chi2: 0 }, 'one category');
  t.same(cramersV(['A', 'B', null], [1, 1, 1]), { v: 0, vCorrected: 0, chi2: 0 }, 'one class');
  // Rows proportional to the column totals (A: 3 and 3, B: 2 and 2): chi2 = 0, phi2c = max(0, 0 - 1/9) = 0
  const independent = table([
    ['A', 0, 3],
    ['A', 1, 3],
    ['B', 0, 2],
    ['B', 1, 2],
  ]);
  t.same(cramersV(independent.values, independent.labels), { v: 0, vCorrected: 0, chi2: 0 }, 'independent');
  // A = all positives, B = all negatives (n = 20): chi2 = n = 20; V = 1;
  // phi2c = 1 - 1/19 and min(kc-1, rc-1) = 1 - 1/19 -> vCorrected = 1
  const { values, labels } = table([
    ['A', 1, 10],
    ['B', 0, 10],
  ]);
  const r = cramersV(values, labels);
  t.ok(Math.abs(r.chi2 - 20) < 1e-12 && Math.abs(r.v - 1) < 1e-12 && Math.abs(r.vCorrected - 1) < 1e-12, JSON.stringify(r));
});

t.test('permutationP matches the exact permutation p (n = 8, 2 categories)', async (t) => {
  // A: 3 positives of 4, B: 1 of 4. chi2 = 4 * (3-2)^2/2 = 2 (every expected cell is 2).
  // Under permutation a = positives in A is hypergeometric: C(4,a) C(4,4-a) / C(8,4) for a = 0..4 -> 1, 16, 36, 16, 1 of 70.
  // chi2 = (a-2)^2 * 2, so chi2 >= 2 unless a = 2: exact p = (70 - 36) / 70 = 34/70.
  const values = ['A', 'A', 'A', 'A', 'B', 'B', 'B', 'B'];
  const labels = [1, 1, 1, 0, 0, 0, 1, 0];
  const exact = exactPermutationP(values, labels);
  t.equal(exact.arrangements, 70, 'C(8,4) distinct arrangements');
  t.ok(Math.abs(exact.p - 34 / 70) < 1e-12, `enumeration agrees with the hand count (${exact.p})`);
  const p = permutationP(values, labels, { permutations: 20000, seed: 11 });
  t.ok(Math.abs(p - 34 / 70) < 0.02, `Monte-Carlo ${p} vs exact ${34 / 70}`);
});

t.test('permutationP matches the exact permutation p (n = 8, 3 categories, tied statistics)', async (t) => {
  // A: 3 of 3 positive, B: 1 of 3, C: 0 of 2; p = 4/8, so an expected positive count is size/2, variance term size/4.
  // chi2 = sum (a_c - s_c/2)^2 / (s_c/4) = 2.25/0.75 + 0.25/0.75 + 1/0.5 = 3 + 1/3 + 2 = 16/3
  // Weights C(3,aA) C(3,aB) C(2,aC) over aA + aB + aC = 4, extreme when chi2 >= 16/3:
  //   aC=0: (1,3) 3 yes, (2,2) 9 no, (3,1) 3 yes;  aC=1: (0,3) 2 yes, (1,2) 18 no, (2,1) 18 no, (3,0) 2 yes;
  //   aC=2: (0,2) 3 yes, (1,1) 9 no, (2,0) 3 yes  -> 16 of 70 (ties at exactly 16/3 count as extreme)
  const values = ['A', 'A', 'A', 'B', 'B', 'B', 'C', 'C'];
  const labels = [1, 1, 1, 0, 0, 1, 0, 0];
  t.ok(Math.abs(cramersV(values, labels).chi2 - 16 / 3) < 1e-12);
  const exact = exactPermutationP(values, labels);
  t.ok(Math.abs(exact.p - 16 / 70) < 1e-12, `enumeration agrees with the hand count (${exact.p})`);
  const p = permutationP(values, labels, { permutations: 20000, seed: 5 });
  t.ok(Math.abs(p - 16 / 70) < 0.02, `Monte-Carlo ${p} vs exact ${16 / 70}`);
});

t.test('permutationP: equal statistics that round differently still count as extreme', async (t) => {
  // Sizes A 3, B 3, C 3, D 2 (n = 11), positives A 0, B 3, C 1, D 1 (5 of 11, so p q = 30/121):
  // chi2 = (15/11)^2/(90/121) + (18/11)^2/(90/121) + (4/11)^2/(90/121) + (1/11)^2/(60/121)
  //      = 2.5 + 3.6 + 16/90 + 1/60 = 1133/180 = 6.2944...
  // The mirror table (A 3, B 0) has the same chi2 mathematically but sums to one ulp less in floating
  // point; without the tolerance it and its kin would not count. Enumeration: 57 of C(11,5) = 462.
  const values = ['A', 'A', 'A', 'B', 'B', 'B', 'C', 'C', 'C', 'D', 'D'];
  const labels = [0, 0, 0, 1, 1, 1, 1, 0, 0, 1, 0];
  t.ok(Math.abs(cramersV(values, labels).chi2 - 1133 / 180) < 1e-12);
  const exact = exactPermutationP(values, labels);
  t.equal(exact.arrangements, 462);
  t.ok(Math.abs(exact.p - 57 / 462) < 1e-12, `enumeration: ${exact.p}`);
  const p = permutationP(values, labels, { permutations: 20000, seed: 13 });
  t.ok(Math.abs(p - 57 / 462) < 0.02, `Monte-Carlo ${p} vs exact ${57 / 462}`);
});

t.test('permutationP: every arrangement tied with the observed table gives p = 1', async (t) => {
  // A: 2 of 3, B: 1 of 3, C: 1 of 2 -> chi2 = 0.25/0.75 * 2 = 2/3, the smallest any arrangement reaches
  // (aC = 1 and {aA, aB} = {1, 2}), so all 20000 permutations count: (1 + 20000) / (1 + 20000).
  const p = permutationP(['A', 'A', 'A', 'B', 'B', 'B', 'C', 'C'], [1, 1, 0, 1, 0, 0, 0, 1], { permutations: 20000, seed: 2 });
  t.equal(p, 1);
});

t.test('permutationP: seeded, small for a perfect shortcut, 1 when degenerate', async (t) => {
  const { values, labels } = informative(60, 4);
  const a = permutationP(values, labels, { permutations: 500, seed: 9 });
  t.equal(permutationP(values, labels, { permutations: 500, seed: 9 }), a, 'same seed, same p');
  t.ok(a > 0 && a <= 1);
  // n = 20, A all positive, B all negative: exact p = 2 / C(20,10) = 1.1e-5, so no permutation reaches it:
  // p = (1 + 0) / (1 + 1000) = 1/1001
  const perfect = table([
    ['A', 1, 10],
    ['B', 0, 10],
  ]);
  const p = permutationP(perfect.values, perfect.labels, { seed: 1 });
  t.ok(p < 0.01, `p ${p}`);
  t.equal(p, 1 / 1001);
  t.equal(permutationP(['A', 'A', 'A'], [0, 1, 0]), 1, 'one category');
  t.equal(permutationP(['A', 'B', 'C'], [0, 0, 0]), 1, 'one class');
});

t.test('quantileBins: cut points by hand', async (t) => {
  // 0..99: cuts at ranks 0.2*99 = 19.8, 39.6, 59.4, 79.2 -> values 19.8, 39.6, 59.4, 79.2
  const values = Array.from({ length: 100 }, (_, i) => i);
  const bins = quantileBins(values);
  t.equal(bins[19], 'q1');
  t.equal(bins[20], 'q2');
  t.equal(bins[79], 'q4');
  t.equal(bins[80], 'q5');
  const sizes = new Map<string | null, number>();
  for (const b of bins) sizes.set(b, (sizes.get(b) ?? 0) + 1);
  t.same(Object.fromEntries(sizes), { q1: 20, q2: 20, q3: 20, q4: 20, q5: 20 });
  // Median of 1..5 is 3; a value equal to a cut goes up.
  t.same(quantileBins([5, 1, 3, null, 2, 4], 2), ['q2', 'q1', 'q2', null, 'q1', 'q2']);
  // [1, 1, 1, 1, 2]: ranks 0.8, 1.6, 2.4, 3.2 -> cuts 1, 1, 1, 1.2; only 1.2 is above the minimum.
  t.same(quantileBins([1, 1, 1, 1, 2]), ['q1', 'q1', 'q1', 'q1', 'q2']);
  t.same(quantileBins([7, 7, null, 7]), ['q1', 'q1', null, 'q1'], 'all equal: one bin');
  t.same(quantileBins([3, NaN, 1], 2), ['q2', null, 'q1'], 'NaN is missing');
  t.same(quantileBins([null, null]), [null, null]);
  t.same(quantileBins([4, 2], 1), ['q1', 'q1']);
  t.throws(() => quantileBins([1], 0), RangeError);
});

t.test('quantileBins: roughly equal bins on continuous data', async (t) => {
  const r = createRandom(8);
  const values = Array.from({ length: 1003 }, () => r.gaussian() * 40 + 100);
  const sizes = new Map<string | null, number>();
  for (const b of quantileBins(values, 5)) sizes.set(b, (sizes.get(b) ?? 0) + 1);
  t.same([...sizes.keys()].sort(), ['q1', 'q2', 'q3', 'q4', 'q5']);
  for (const [b, k] of sizes) t.ok(Math.abs(k - 1003 / 5) <= 1, `${b}: ${k} items`);
});

t.test('groupFolds: a group never spans two folds', async (t) => {
  const r = createRandom(21);
  const groups = Array.from({ length: 1000 }, () => `patient-${r.int(37)}`);
  const folds = groupFolds(groups, 5, 7);
  const foldOf = new Map<string, number>();
  for (let i = 0; i < groups.length; i++) {
    const seen = foldOf.get(groups[i]!);
    if (seen !== undefined && seen !== folds[i]) t.fail(`${groups[i]} in folds ${seen} and ${folds[i]}`);
    foldOf.set(groups[i]!, folds[i]!);
  }
  const perFold = [0, 0, 0, 0, 0];
  for (const f of foldOf.values()) perFold[f]!++;
  t.same(
    perFold.sort((a, b) => a - b),
    [7, 7, 8, 8, 7].sort((a, b) => a - b),
    '37 groups dealt round-robin: 8, 8, 7, 7, 7',
  );
  t.same(groupFolds(groups, 5, 7), folds, 'same seed, same folds');
  t.not(JSON.stringify(groupFolds(groups, 5, 8)), JSON.stringify(folds), 'another seed, other folds');
  const reversed = groupFolds([...groups].reverse(), 5, 7).reverse();
  t.same(reversed, folds, 'item order does not matter');
});

t.test('groupFolds: fewer groups than folds, and bad k', async (t) => {
  const folds = groupFolds(['a', 'b', 'c', 'a', 'b'], 5, 1);
  t.same([...new Set(folds)].sort(), [0, 1, 2], 'one fold per group');
  t.equal(folds[0], folds[3]);
  t.equal(folds[1], folds[4]);
  t.same(groupFolds([], 5, 1), []);
  t.throws(() => groupFolds(['a'], 0, 1), { message: 'k must be a positive integer (got 0)' });
  t.throws(() => groupFolds(['a'], 2.5, 1), RangeError);
});

t.test('bootstrapCi: hand-checkable extremes', async (t) => {
  // Scores that separate the classes perfectly: every resample with both classes has AUC 1.
  t.same(bootstrapCi([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1], { reps: 200, seed: 3 }), [1, 1]);
  // All scores tied: every AUC is 0.5.
  t.same(bootstrapCi([0.4, 0.4, 0.4, 0.4], [0, 1, 0, 1], { reps: 200, seed: 3 }), [0.5, 0.5]);
  t.same(bootstrapCi([0.4, 0.6], [1, 1]), [NaN, NaN], 'one class: no usable resample');
  t.same(bootstrapCi([NaN, 0.6], [0, 1]), [NaN, NaN], 'NaN scores (one fold)');
  t.throws(() => bootstrapCi([0.1], [1], { level: 1 }), { message: 'level must be in (0, 1) (got 1)' });
});

t.test('bootstrapCi equals resampling with rocAuc from the same random stream', async (t) => {
  const { values, labels, groups } = informative(150, 12);
  const { scores } = oofAuc(values, labels, groups);
  const reps = 300;
  const rng = createRandom(17);
  const aucs: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const idx = Array.from({ length: scores.length }, () => rng.int(scores.length));
    const auc = rocAuc(
      idx.map((i) => scores[i]!),
      idx.map((i) => labels[i]!),
    );
    if (!Number.isNaN(auc)) aucs.push(auc);
  }
  aucs.sort((a, b) => a - b);
  // 90% interval: ranks 0.05 * 299 = 14.95 and 0.95 * 299 = 284.05
  const lo = aucs[14]! + 0.95 * (aucs[15]! - aucs[14]!);
  const hi = aucs[284]! + 0.05 * (aucs[285]! - aucs[284]!);
  const [a, b] = bootstrapCi(scores, labels, { reps, seed: 17, level: 0.9 });
  t.ok(Math.abs(a - lo) < 1e-12 && Math.abs(b - hi) < 1e-12, `[${a}, ${b}] vs [${lo}, ${hi}]`);
});

t.test('bootstrapCi contains the point AUC and narrows with more data', async (t) => {
  const widths: number[] = [];
  for (const n of [200, 2000]) {
    const { values, labels, groups } = informative(n, 30);
    const { auc, scores } = oofAuc(values, labels, groups);
    const [lo, hi] = bootstrapCi(scores, labels, { seed: 2 });
    t.ok(auc > 0.6 && auc < 0.8, `n=${n}: auc ${auc} near the true 0.7`);
    t.ok(lo <= auc && auc <= hi, `n=${n}: ${auc} in [${lo}, ${hi}]`);
    widths.push(hi - lo);
  }
  // Width shrinks like 1/sqrt(n): ten times the data, about a third of the width.
  t.ok(widths[1]! < widths[0]! / 2, `widths ${widths.join(', ')}`);
});

t.test('statusOf', async (t) => {
  t.equal(statusOf(0.59), 'PASS');
  t.equal(statusOf(0.6), 'WARN', 'at the warn threshold');
  t.equal(statusOf(0.74), 'WARN');
  t.equal(statusOf(0.75), 'FAIL', 'at the fail threshold');
  t.equal(statusOf(0.2), 'PASS', 'below 0.5 is no shortcut: the encoding learns the direction');
  t.equal(statusOf(NaN), 'PASS');
  t.equal(statusOf(0.55, { warn: 0.55, fail: 0.65 }), 'WARN');
  t.equal(statusOf(0.65, { warn: 0.55, fail: 0.65 }), 'FAIL');
});

t.test('attributeCheck: a perfect shortcut hidden in missingness', async (t) => {
  // Positives carry a value, negatives none: 'X' for 10 positives, null for 10 negatives, one patient per
  // positive-negative pair (balanced folds). cardinality 1 ('X'), missing 10/20 = 0.5.
  // Fitted folds: 'X' -> (8 + 0.5) / 9, null -> 0.5 / 9: AUC 1. chi2 = n, vCorrected = 1 (see above). p = 1/1001.
  const labels = Array.from({ length: 20 }, (_, i) => i % 2);
  const values = labels.map((y) => (y ? 'X' : null));
  const groups = labels.map((_, i) => `p${i >> 1}`);
  const r = attributeCheck(values, labels, groups);
  t.equal(r.n, 20);
  t.equal(r.cardinality, 1);
  t.equal(r.missing, 0.5);
  t.equal(r.auc, 1);
  t.same(r.ci95, [1, 1]);
  t.ok(Math.abs(r.cramersV - 1) < 1e-12);
  t.equal(r.p, 1 / 1001);
  t.equal(r.status, 'FAIL');
});

t.test('attributeCheck: combines the pieces with the same seed', async (t) => {
  const { values, labels, groups } = informative(300, 6);
  values[0] = null;
  values[5] = 'C';
  const r = attributeCheck(values, labels, groups, { seed: 4, reps: 200, permutations: 300, thresholds: { warn: 0.9, fail: 0.95 } });
  const { auc, scores } = oofAuc(values, labels, groups, { seed: 4 });
  t.equal(r.n, 300);
  t.equal(r.cardinality, 3, "'A', 'B', 'C'; null is not counted");
  t.equal(r.missing, 1 / 300);
  t.equal(r.auc, auc);
  t.same(r.ci95, bootstrapCi(scores, labels, { reps: 200, seed: 4 }));
  t.equal(r.cramersV, cramersV(values, labels).vCorrected);
  t.equal(r.p, permutationP(values, labels, { permutations: 300, seed: 4 }));
  t.equal(r.status, 'PASS', 'custom thresholds');
  t.ok(r.p < 0.01, `a real association: p ${r.p}`);
});

t.test('input checks', async (t) => {
  t.throws(() => cramersV(['A', 'B'], [0, 2]), { message: 'labels must be 0 or 1 (got 2 at index 1)' });
  t.throws(() => oofScores(['A'], [0, 1], [0, 0]), { message: 'labels must have one entry per item (got 2, values has 1)' });
  t.throws(() => permutationP(['A'], [0], { permutations: -1 }), { message: 'permutations must be a positive integer (got -1)' });
});
