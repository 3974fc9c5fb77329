/**
 * The validation and test error per epoch (and, where recorded, the labeled training images'
 * error) of the runs the targets table reports (results/), one figure for classification and one
 * for clustering: README and docs/results.md show them (scripts/results-curves.ts writes them),
 * notebooks 05 and 07 draw them inline.
 */
import { PAPER_CLUSTER_ERRORS, PAPER_ERRORS, labelCountText, type ClassifyResult, type ClusterResult } from '../eval/results';
import { errorCurvesSpec, type ErrorCurve, type FigureSpec } from './specs';

/** What the lines are: a dotted one only where some run records its labeled training images' error. */
function subtitle(curves: readonly ErrorCurve[]): string {
  const training = curves.some((c) => c.history.some((h) => (h.labeled_error ?? 0) > 0));
  return `solid: test error, dashed: validation error${training ? ', dotted: error on the labeled training images' : ''}; grey: the AAE paper`;
}

export interface CurvesOptions {
  /** Plot width in pixels (errorCurvesSpec's default otherwise). */
  width?: number;
  /** Appended to the subtitle, e.g. where the learning rate drops. */
  note?: string;
}

/** The runs' validation and test error per epoch under `title`, with the paper's errors as reference lines. */
function targetCurvesSpec(title: string, curves: ErrorCurve[], references: { name: string; error: number }[], opts: CurvesOptions): FigureSpec {
  const lines = subtitle(curves);
  return errorCurvesSpec(curves, { title, subtitle: opts.note ? `${lines}; ${opts.note}` : lines, width: opts.width, references });
}

/** Semi-supervised classification runs (e.g. bestClassificationRuns' answer), each against the paper's error for its label count. */
export function classificationCurvesSpec(runs: readonly ClassifyResult[], opts: CurvesOptions = {}): FigureSpec {
  const counts = [...new Set(runs.map((r) => r.labels))].filter((n) => PAPER_ERRORS[n]);
  return targetCurvesSpec(
    'Semi-supervised classification: the targets table’s runs',
    runs.map((r) => ({ name: `${labelCountText(r.labels)} labels, seed ${r.seed}`, history: r.history })),
    counts.map((n) => ({ name: `paper, ${labelCountText(n)} labels`, error: PAPER_ERRORS[n].mean })),
    opts,
  );
}

/** Unsupervised clustering runs (e.g. bestClusteringRuns' answer), each against the paper's error for its cluster count. */
export function clusteringCurvesSpec(runs: readonly ClusterResult[], opts: CurvesOptions = {}): FigureSpec {
  const counts = [...new Set(runs.map((r) => r.clusters))].filter((k) => PAPER_CLUSTER_ERRORS[k]);
  return targetCurvesSpec(
    'Unsupervised clustering: the targets table’s runs',
    runs.map((r) => ({ name: `${r.clusters} clusters, seed ${r.seed}`, history: r.history })),
    counts.map((k) => ({ name: `paper, ${k} clusters`, error: PAPER_CLUSTER_ERRORS[k].mean })),
    opts,
  );
}
