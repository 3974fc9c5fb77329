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
