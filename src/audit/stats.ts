/**
 * Statistics for a shortcut audit: can the label be predicted from one
 * attribute alone (InstitutionName, Manufacturer, a binned pixel property)?
 * If it can, a model may learn the attribute instead of the finding.
 *
 * Two views of one question. The out-of-fold AUC of a target encoding says
 * how well the attribute predicts the label for groups (patients, sites) it
 * was not fitted on; Cramér's V with a permutation p says how strong the
 * association is in this data set and whether it could be chance. Every
 * function is pure; randomness comes from an explicit seed.
 */
import { createRandom } from '../synth/random.js';
import { rocAuc } from '../train/metrics.js';

/** One item's value of a categorical attribute; null means missing. */
export type Category = string | null;

export type Status = 'PASS' | 'WARN' | 'FAIL';

/** AUC levels at which an attribute is flagged. */
export interface Thresholds {
  warn: number;
  fail: number;
}

export const DEFAULT_THRESHOLDS: Readonly<Thresholds> = Object.freeze({ warn: 0.6, fail: 0.75 });

/**
 * Smoothing weight of the target encoding: a category seen once in training
 * is pulled halfway to the prior, so a rare value cannot score 0 or 1 on the
 * strength of a single item.
 */
const SMOOTHING = 1;

/**
 * Numeric attribute to categories by quantile: the cut points are the
 * j/bins quantiles (linear interpolation, NumPy's default) of the non-null
 * values. Only distinct cuts above the minimum are kept, so ties never make
 * an empty bin; a value equal to a cut goes to the upper bin. Null and NaN
 * become null. All values equal gives one bin, "q1".
 *
 * @example
 *   quantileBins([1, 2, 3, 4, 5, null], 2) // ['q1', 'q1', 'q2', 'q2', 'q2', null] (cut at the median, 3)
 */
export function quantileBins(values: readonly (number | null)[], bins = 5): (string | null)[] {
  positiveInteger('bins', bins);
  const isMissing = (v: number | null): v is null => v === null || Number.isNaN(v);
  const sorted = values.filter((v): v is number => !isMissing(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return values.map(() => null);
  const cuts: number[] = [];
  let last = sorted[0]!;
  for (let j = 1; j < bins; j++) {
    const cut = quantileOfSorted(sorted, j / bins);
    if (cut > last) cuts.push((last = cut));
  }
  return values.map((v) => (isMissing(v) ? null : `q${countAtMost(cuts, v) + 1}`));
}

/**
 * Fold index (0..k-1) per item, keeping every group in one fold: the
 * distinct groups are sorted, shuffled with the seed (Fisher–Yates) and dealt
 * round-robin, so folds differ by at most one group and do not depend on the
 * order of the items. Fewer distinct groups than k gives one fold per group.
 *
 * @example
 *   groupFolds(['p1', 'p1', 'p2', 'p3'], 2, 1) // [1, 1, 0, 0]: p1's two items share a fold
 */
export function groupFolds(groups: readonly string[], k: number, seed: number): number[] {
  positiveInteger('k', k);
  const distinct = [...new Set(groups)].sort();
  const rng = createRandom(seed);
  for (let i = distinct.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [distinct[i], distinct[j]] = [distinct[j]!, distinct[i]!];
  }
  const folds = Math.min(k, distinct.length);
  const foldOf = new Map(distinct.map((g, i) => [g, i % folds]));
  return groups.map((g) => foldOf.get(g)!);
}

/**
 * Out-of-fold target encoding. For each fold, the items outside it give the
 * prior (their positive rate) and per category (missing is a category of its
 * own) the score (positives + prior) / (count + 1); each held-out item gets
 * its category's score, or the prior for a category unseen in training. A
 * fold with no training items (the only fold) scores NaN.
 *
 * The prior is fitted per fold, so a fold richer in positives than the rest
 * gets a lower prior: when folds' positive rates differ, an attribute with
 * no signal tends to an AUC below 0.5 rather than at it. That errs towards
 * PASS, not towards a false alarm.
 *
 * @example
 *   // fold 0 is fitted on items 2..3 (prior 1/2, A: 1 of 1), fold 1 on items 0..1 (prior 1/2, A: 1 of 2)
 *   oofScores(['A', 'A', 'A', 'B'], [1, 0, 1, 0], [0, 0, 1, 1]) // [0.75, 0.75, 0.5, 0.5]
 */
export function oofScores(values: readonly Category[], labels: readonly number[], folds: readonly number[]): number[] {
  sameLength({ values, labels, folds });
  checkLabels(labels);
  const n = labels.length;
  const { index, sizes } = encode(values);
  const positivesOf = new Float64Array(sizes.length);
  let positives = 0;
  for (let i = 0; i < n; i++) {
    if (labels[i] === 1) {
      positivesOf[index[i]!]!++;
      positives++;
    }
  }
  const members = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const f = folds[i]!;
    const list = members.get(f);
    if (list) list.push(i);
    else members.set(f, [i]);
  }
  // Held-out counts per category, reset after each fold: O(n) over all folds
  // even with one fold per group and one category per item.
  const heldCount = new Float64Array(sizes.length);
  const heldPositives = new Float64Array(sizes.length);
  const scores = new Array<number>(n);
  for (const items of members.values()) {
    let held = 0;
    for (const i of items) {
      heldCount[index[i]!]!++;
      if (labels[i] === 1) {
        heldPositives[index[i]!]!++;
        held++;
      }
    }
    const trained = n - items.length;
    const prior = trained > 0 ? (positives - held) / trained : NaN;
    for (const i of items) {
      const c = index[i]!;
      const count = sizes[c]! - heldCount[c]!;
      const pos = positivesOf[c]! - heldPositives[c]!;
      scores[i] = (pos + prior * SMOOTHING) / (count + SMOOTHING);
    }
    for (const i of items) heldCount[index[i]!] = heldPositives[index[i]!] = 0;
  }
  return scores;
}

/**
 * Group-aware out-of-fold AUC of the attribute's target encoding: 0.5 means
 * no signal that carries over to unseen groups, 1 a perfect shortcut. NaN
 * with a single group (no held-out fold can be fitted) or a single class.
 *
 * @example
 *   oofAuc(values, labels, patientIds, { folds: 5, seed: 1 }).auc // e.g. 0.83 for a site that holds most positives
 */
export function oofAuc(
  values: readonly Category[],
  labels: readonly number[],
  groups: readonly string[],
  o: { folds?: number; seed?: number } = {},
): { auc: number; scores: number[] } {
  sameLength({ values, labels, groups });
  const folds = groupFolds(groups, o.folds ?? 5, o.seed ?? 1);
  const scores = oofScores(values, labels, folds);
  if (new Set(folds).size < 2) return { auc: NaN, scores };
  return { auc: rocAuc(scores, labels), scores };
}

/**
 * Percentile bootstrap interval of the AUC of fixed (out-of-fold) scores:
 * items are resampled with replacement, resamples holding one class only are
 * skipped, and the (1 - level) / 2 tails are cut with linear interpolation.
 * [NaN, NaN] when no resample has both classes or a score is NaN.
 *
 * Each resample's AUC equals rocAuc on it, computed from per-score counts:
 * the scores are ranked once, so a replicate costs O(n) rather than a sort
 * (500 sorts of 10k items per attribute would dominate an audit).
 *
 * @example
 *   bootstrapCi(scores, labels, { reps: 500, seed: 1 }) // e.g. [0.71, 0.80]
 */
export function bootstrapCi(
  scores: readonly number[],
  labels: readonly number[],
  o: { reps?: number; seed?: number; level?: number } = {},
): [number, number] {
  const reps = o.reps ?? 500;
  const level = o.level ?? 0.95;
  positiveInteger('reps', reps);
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1) (got ${level})`);
  sameLength({ scores, labels });
  checkLabels(labels);
  const n = scores.length;
  if (n === 0 || scores.some(Number.isNaN)) return [NaN, NaN];
  const distinct = [...new Set(scores)].sort((a, b) => a - b);
  const rankOf = new Map(distinct.map((s, r) => [s, r]));
  // Cell of each item: 2 * score rank + label, so a draw is one increment.
  const cell = Int32Array.from(scores, (s, i) => 2 * rankOf.get(s)! + labels[i]!);
  const counts = new Float64Array(2 * distinct.length);
  const rng = createRandom(o.seed ?? 1);
  const aucs: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    counts.fill(0);
    for (let k = 0; k < n; k++) counts[cell[rng.int(n)]!]!++;
    // Mann-Whitney: each positive beats the negatives ranked below it, ties count half.
    let below = 0;
    let wins = 0;
    let positives = 0;
    for (let r = 0; r < counts.length; r += 2) {
      const neg = counts[r]!;
      const pos = counts[r + 1]!;
      wins += pos * (below + neg / 2);
      below += neg;
      positives += pos;
    }
    if (positives === 0 || below === 0) continue;
    aucs.push(wins / (positives * below));
  }
  if (aucs.length === 0) return [NaN, NaN];
  aucs.sort((a, b) => a - b);
  const tail = (1 - level) / 2;
  return [quantileOfSorted(aucs, tail), quantileOfSorted(aucs, 1 - tail)];
}

/**
 * Pearson chi-square (no continuity correction) of the categories x {0, 1}
 * table, with missing as a category, Cramér's V and Bergsma's (2013)
 * bias-corrected V, which is near 0 for an unrelated attribute however many
 * categories it has. All 0 with one category or one class.
 *
 * @example
 *   // A: 10 negatives, 20 positives; B: 30 negatives, 15 positives
 *   cramersV(values, labels) // { chi2: 8.0357, v: 0.3273, vCorrected: 0.3081 }
 */
export function cramersV(values: readonly Category[], labels: readonly number[]): { v: number; vCorrected: number; chi2: number } {
  const t = tabulate(values, labels);
  const r = t.sizes.length;
  const k = 2;
  const n = labels.length;
  if (r < 2 || t.minority === 0) return { v: 0, vCorrected: 0, chi2: 0 };
  const chi2 = chiSquare(t.hits, t.sizes, t.minority, n);
  const phi2 = chi2 / n;
  const v = Math.sqrt(phi2 / Math.min(r - 1, k - 1));
  const phi2c = Math.max(0, phi2 - ((k - 1) * (r - 1)) / (n - 1));
  const rc = r - (r - 1) ** 2 / (n - 1);
  const kc = k - (k - 1) ** 2 / (n - 1);
  const denominator = Math.min(kc - 1, rc - 1);
  return { v, vCorrected: denominator > 0 ? Math.sqrt(phi2c / denominator) : 0, chi2 };
}

/**
 * Monte-Carlo permutation p of the chi-square in `cramersV`: labels are
 * shuffled (seeded Fisher–Yates) and p = (1 + #{chi2_perm >= chi2_obs}) /
 * (1 + permutations), never 0. One category or one class gives 1.
 *
 * Chi-square depends only on which items hold the rarer class, so each
 * permutation runs the shuffle just far enough to place those (a partial
 * Fisher–Yates, still a uniform draw): O(min(positives, negatives)).
 *
 * @example
 *   permutationP(values, labels, { permutations: 1000, seed: 1 }) // e.g. 0.000999 for a perfect shortcut
 */
export function permutationP(
  values: readonly Category[],
  labels: readonly number[],
  o: { permutations?: number; seed?: number } = {},
): number {
  const permutations = o.permutations ?? 1000;
  positiveInteger('permutations', permutations);
  const t = tabulate(values, labels);
  const n = labels.length;
  const m = t.minority;
  if (t.sizes.length < 2 || m === 0) return 1;
  const observed = chiSquare(t.hits, t.sizes, m, n);
  // Equal tables can round differently; without slack a tie could count as less extreme.
  const threshold = observed - 1e-12 * Math.max(1, observed);
  const rng = createRandom(o.seed ?? 1);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const hits = new Float64Array(t.sizes.length);
  let extreme = 0;
  for (let p = 0; p < permutations; p++) {
    hits.fill(0);
    for (let i = 0; i < m; i++) {
      const j = i + rng.int(n - i);
      const item = order[j]!;
      order[j] = order[i]!;
      order[i] = item;
      hits[t.index[item]!]!++;
    }
    if (chiSquare(hits, t.sizes, m, n) >= threshold) extreme++;
  }
  return (1 + extreme) / (1 + permutations);
}

/**
 * The audit verdict for an AUC: FAIL at or above `fail`, WARN at or above
 * `warn`, else PASS. NaN (nothing to measure) is PASS.
 *
 * @example
 *   statusOf(0.62) // 'WARN'
 */
export function statusOf(auc: number, t: Thresholds = DEFAULT_THRESHOLDS): Status {
  if (auc >= t.fail) return 'FAIL';
  if (auc >= t.warn) return 'WARN';
  return 'PASS';
}

export interface AttributeCheckOptions {
  /** Group folds for the out-of-fold AUC (default 5). */
  folds?: number;
  /** One seed for folds, bootstrap and permutations (default 1). */
  seed?: number;
  /** Bootstrap replicates (default 500). */
  reps?: number;
  /** Label permutations (default 1000). */
  permutations?: number;
  thresholds?: Thresholds;
}

export interface AttributeCheck {
  n: number;
  /** Distinct non-null values. */
  cardinality: number;
  /** Share of items with no value, 0..1. */
  missing: number;
  auc: number;
  ci95: [number, number];
  /** Bias-corrected Cramér's V. */
  cramersV: number;
  p: number;
  status: Status;
}

/**
 * Every statistic of one attribute against the label, and its status.
 *
 * @example
 *   attributeCheck(institutionNames, labels, patientIds)
 *   // { n: 5000, cardinality: 4, missing: 0.02, auc: 0.81, ci95: [0.79, 0.83], cramersV: 0.55, p: 0.000999, status: 'FAIL' }
 */
export function attributeCheck(
  values: readonly Category[],
  labels: readonly number[],
  groups: readonly string[],
  o: AttributeCheckOptions = {},
): AttributeCheck {
  const seed = o.seed ?? 1;
  const { auc, scores } = oofAuc(values, labels, groups, { folds: o.folds ?? 5, seed });
  const n = values.length;
  let missing = 0;
  for (const v of values) if (v === null) missing++;
  return {
    n,
    cardinality: new Set(values.filter((v) => v !== null)).size,
    missing: n ? missing / n : 0,
    auc,
    ci95: bootstrapCi(scores, labels, { reps: o.reps ?? 500, seed, level: 0.95 }),
    cramersV: cramersV(values, labels).vCorrected,
    p: permutationP(values, labels, { permutations: o.permutations ?? 1000, seed }),
    status: statusOf(auc, o.thresholds ?? DEFAULT_THRESHOLDS),
  };
}

/** Category index per item and items per category; null is a category like any other. */
function encode(values: readonly Category[]): { index: Int32Array; sizes: number[] } {
  const indexOf = new Map<Category, number>();
  const sizes: number[] = [];
  const index = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    let c = indexOf.get(values[i]!);
    if (c === undefined) {
      indexOf.set(values[i]!, (c = sizes.length));
      sizes.push(0);
    }
    sizes[c]!++;
    index[i] = c;
  }
  return { index, sizes };
}

/**
 * The categories x {0, 1} table as counts of the rarer class per category.
 * Either class gives the same chi-square; the rarer one is what
 * `permutationP` draws, so observed and permuted values round alike.
 */
function tabulate(values: readonly Category[], labels: readonly number[]) {
  sameLength({ values, labels });
  checkLabels(labels);
  const { index, sizes } = encode(values);
  let positives = 0;
  for (const y of labels) positives += y;
  const rare = positives <= labels.length - positives ? 1 : 0;
  const hits = new Float64Array(sizes.length);
  for (let i = 0; i < labels.length; i++) if (labels[i] === rare) hits[index[i]!]!++;
  return { index, sizes, hits, minority: Math.min(positives, labels.length - positives) };
}

/**
 * Pearson chi-square of a k x 2 table from the counts h_c of one class (m in
 * all) in categories of size s_c: the two cells of a row deviate from their
 * expectations by equal and opposite amounts, so
 * chi2 = sum_c (n h_c - s_c m)^2 / s_c / (m (n - m)).
 */
function chiSquare(hits: Float64Array, sizes: readonly number[], m: number, n: number): number {
  let sum = 0;
  for (let c = 0; c < sizes.length; c++) {
    const d = n * hits[c]! - sizes[c]! * m;
    sum += (d * d) / sizes[c]!;
  }
  return sum / (m * (n - m));
}

/** Quantile q of ascending values, interpolating linearly at rank q (n - 1). */
function quantileOfSorted(sorted: readonly number[], q: number): number {
  const pos = q * (sorted.length - 1);
  const k = Math.floor(pos);
  const lo = sorted[k]!;
  const f = pos - k;
  return f === 0 ? lo : lo + f * (sorted[Math.min(k + 1, sorted.length - 1)]! - lo);
}

/** How many of the ascending `cuts` are <= v. */
function countAtMost(cuts: readonly number[], v: number): number {
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cuts[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function checkLabels(labels: readonly number[]): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) throw new RangeError(`labels must be 0 or 1 (got ${labels[i]} at index ${i})`);
  }
}

function sameLength(arrays: Record<string, { length: number }>): void {
  const entries = Object.entries(arrays);
  const [firstName, first] = entries[0]!;
  for (const [name, a] of entries) {
    if (a.length !== first.length) {
      throw new RangeError(`${name} must have one entry per item (got ${a.length}, ${firstName} has ${first.length})`);
    }
  }
}

function positiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer (got ${value})`);
}
