/**
 * The one colour scheme of every digit- or label-coloured figure: digit k always has colour
 * DIGIT_COLORS[k] (the ten "tab10" colours of matplotlib / d3 category10), so a scatter of codes,
 * the target prior's modes and their legends agree across figures.
 */
export const DIGIT_COLORS: readonly string[] = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** The labels 0-9, the fixed domain of the digit colour scale. */
export const DIGITS: readonly number[] = Array.from({ length: 10 }, (_, k) => k);

/**
 * A Vega-Lite colour channel for a 0-9 label field, with the fixed scheme and a 10-entry legend; for
 * `count` > 10 labels (a prior with more modes), labels 0 to count - 1 in the 20 colours of tableau20.
 */
export function digitColor(field: string, title: string, count = DIGITS.length) {
  return {
    field,
    type: 'nominal' as const,
    title,
    scale: count <= DIGITS.length ? { domain: [...DIGITS], range: [...DIGIT_COLORS] } : { domain: Array.from({ length: count }, (_, k) => k), scheme: 'tableau20' },
    legend: { symbolType: 'circle', symbolOpacity: 1, labelFontSize: 11, titleFontSize: 12, orient: 'right' as const },
  };
}

/** Colours of labels 10 and up: tab20's light colours after DIGIT_COLORS, then round again. */
const MORE_COLORS: readonly string[] = ['#aec7e8', '#ffbb78', '#98df8a', '#ff9896', '#c5b0d5', '#c49c94', '#f7b6d2', '#c7c7c7', '#dbdb8d', '#9edae5'];

/** Whether class names are MNIST's digits '0'-'9' (absent counts as the digits). */
export function isDigitNames(classNames: readonly string[] | undefined): boolean {
  return classNames === undefined || (classNames.length === 10 && classNames.every((c, k) => c === String(k)));
}

/**
 * A colour channel for a label field of a data set's classes: MNIST's digits (or no names) give
 * digitColor (for labels 0 to count - 1); other names give one colour per class (the digits' first) and a legend of the names;
 * no classes (a set without labels) give one colour and no legend.
 */
export function classColor(field: string, title: string, classNames?: readonly string[], count = DIGITS.length) {
  if (isDigitNames(classNames)) return digitColor(field, title, count);
  const names = classNames!;
  if (names.length === 0) return { value: DIGIT_COLORS[0] };
  const all = [...DIGIT_COLORS, ...MORE_COLORS];
  const base = digitColor(field, title);
  return {
    ...base,
    scale: { domain: names.map((_, k) => k), range: names.map((_, k) => all[k % all.length]) },
    legend: { ...base.legend, labelExpr: `${JSON.stringify(names)}[datum.value]` },
  };
}
