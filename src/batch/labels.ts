/**
 * Labels come from the manifest as text. When every label is a number they
 * are used as numbers (regression, or 0/1 classes); otherwise each distinct
 * label becomes a class index, in sorted order, so the mapping does not
 * depend on file order.
 */
export interface LabelMap {
  /** Class names by index, or null when labels are numeric. */
  classes: string[] | null;
  toNumber(label: string | undefined): number;
}

export function labelMap(labels: Iterable<string | undefined>): LabelMap {
  const distinct = new Set<string>();
  for (const l of labels) if (l !== undefined) distinct.add(l);
  const numeric = [...distinct].every((l) => l.trim() !== '' && Number.isFinite(Number(l)));
  if (numeric) return { classes: null, toNumber: (l) => (l === undefined ? Number.NaN : Number(l)) };
  const classes = [...distinct].sort();
  const index = new Map(classes.map((c, i) => [c, i]));
  return { classes, toNumber: (l) => (l === undefined ? Number.NaN : index.get(l) ?? Number.NaN) };
}
