/**
 * Results worth reporting: classification error, and how well encoded codes match the prior.
 *
 * - `classError`: fraction of wrong predictions.
 * - `mmd`: maximum mean discrepancy between two samples with a sum of RBF kernels, unbiased
 *   estimator (the i = j terms are left out, so identical distributions give values scattered
 *   around 0, slightly negative ones included). Bandwidths: given, or by default the median
 *   heuristic times {0.5, 1, 2}, with the median taken over pairwise distances of the SECOND sample
 *   (the prior sample in `priorMatch`), so that for one prior every model is measured with the same
 *   kernels.
 * - `assignModes` / `modeAccuracy`: which label-conditioned mode of a prior a code belongs to, and
 *   the fraction of codes assigned to the mode of their own label.
 * - `priorMatch`: both, for a trained model on a test set.
 * Pure functions on typed arrays except `priorMatch`, which runs the model's encoder.
 */
import { Rng } from '../random';
import type { ImageSet } from '../data/mnist';
import { checkPrior, drawPrior, getPrior, type Prior, type PriorName } from '../priors';

export { SWISS_ROLL_POINTS_PER_LABEL } from '../priors';
import type { AAEModel } from '../models';
import { ConfigError } from '../errors';

/** Fraction of predictions that differ from the labels (0 = perfect). */
export function classError(predicted: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (predicted.length !== labels.length) {
    throw new ConfigError(`classError: ${predicted.length} predictions for ${labels.length} labels`);
  }
  if (labels.length === 0) throw new ConfigError('classError: no examples');
  let wrong = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] !== labels[i]) wrong++;
  return wrong / labels.length;
}

function rows(values: Float32Array | Float64Array, dim: number, what: string): number {
  if (!Number.isInteger(dim) || dim < 1) throw new ConfigError(`${what}: dimension must be a positive integer, got ${dim}`);
  const n = values.length / dim;
  if (!Number.isInteger(n)) throw new ConfigError(`${what}: ${values.length} values is not a whole number of ${dim}-dim rows`);
  return n;
}

function sqDist(a: Float32Array | Float64Array, i: number, b: Float32Array | Float64Array, j: number, dim: number): number {
  let s = 0;
  for (let d = 0; d < dim; d++) {
    const t = a[i * dim + d] - b[j * dim + d];
    s += t * t;
  }
  return s;
}

/** Up to `max` rows of `values` (a seeded choice without replacement; all rows, in order, when n <= max). */
export function subsampleRows(values: Float32Array, dim: number, max: number, rng: Rng): Float32Array {
  const n = rows(values, dim, 'subsampleRows');
  if (n <= max) return values;
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  rng.shuffle(idx);
  const out = new Float32Array(max * dim);
  for (let i = 0; i < max; i++) out.set(values.subarray(idx[i] * dim, (idx[i] + 1) * dim), i * dim);
  return out;
}

/** Median of the pairwise Euclidean distances between the rows of x (over at most 1000 rows, seeded). */
export function medianDistance(x: Float32Array, dim: number, rng = new Rng(0)): number {
  const s = subsampleRows(x, dim, 1000, rng);
  const n = s.length / dim;
  if (n < 2) throw new ConfigError('medianDistance: needs at least 2 rows');
  const d = new Float64Array((n * (n - 1)) / 2);
  let k = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) d[k++] = Math.sqrt(sqDist(s, i, s, j, dim));
  d.sort();
  const m = d.length >> 1;
  return d.length % 2 ? d[m] : (d[m - 1] + d[m]) / 2;
}

export interface MmdOptions {
  /** RBF bandwidths sigma (k = sum over sigma of exp(-|a-b|^2 / (2 sigma^2))); default: median heuristic x {0.5, 1, 2}. */
  bandwidths?: number[];
  /** Use at most this many rows of each sample (seeded subsample; default 2000: cost grows with its square). */
  maxSamples?: number;
  /** Generator for the subsamples and the median (default Rng(0)). */
  rng?: Rng;
}

export interface MmdResult {
  /** Unbiased estimate of MMD^2 (can be slightly negative when the distributions agree). */
  mmd2: number;
  /** sqrt(max(mmd2, 0)). */
  mmd: number;
  bandwidths: number[];
  /** Rows used from x and from y. */
  n: [number, number];
}

/**
 * Unbiased MMD^2 between the rows of x and y (both `dim` wide):
 *   1/(m(m-1)) sum_{i!=j} k(x_i, x_j) + 1/(n(n-1)) sum_{i!=j} k(y_i, y_j) - 2/(mn) sum_{i,j} k(x_i, y_j).
 */
export function mmd(x: Float32Array, y: Float32Array, dim: number, opts: MmdOptions = {}): MmdResult {
  rows(x, dim, 'mmd (x)');
  rows(y, dim, 'mmd (y)');
  const rng = opts.rng ?? new Rng(0);
  const max = opts.maxSamples ?? 2000;
  const xs = subsampleRows(x, dim, max, rng);
  const ys = subsampleRows(y, dim, max, rng);
  const m = xs.length / dim;
  const n = ys.length / dim;
  if (m < 2 || n < 2) throw new ConfigError(`mmd: needs at least 2 rows in each sample, got ${m} and ${n}`);
  let bandwidths = opts.bandwidths;
  if (!bandwidths) {
    const med = medianDistance(ys, dim, rng);
    if (!(med > 0)) throw new ConfigError('mmd: the median distance of the second sample is 0; give bandwidths');
    bandwidths = [0.5 * med, med, 2 * med];
  }
  if (bandwidths.length === 0 || bandwidths.some((s) => !(s > 0) || !Number.isFinite(s))) {
    throw new ConfigError(`mmd: bandwidths must be positive numbers, got [${bandwidths.join(', ')}]`);
  }
  const gammas = bandwidths.map((s) => 1 / (2 * s * s));
  const k = (a: Float32Array, i: number, b: Float32Array, j: number): number => {
    const d2 = sqDist(a, i, b, j, dim);
    let v = 0;
    for (const g of gammas) v += Math.exp(-g * d2);
    return v;
  };
  let kxx = 0;
  for (let i = 0; i < m; i++) for (let j = i + 1; j < m; j++) kxx += k(xs, i, xs, j);
  let kyy = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) kyy += k(ys, i, ys, j);
  let kxy = 0;
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) kxy += k(xs, i, ys, j);
  const mmd2 = (2 * kxx) / (m * (m - 1)) + (2 * kyy) / (n * (n - 1)) - (2 * kxy) / (m * n);
  return { mmd2, mmd: Math.sqrt(Math.max(mmd2, 0)), bandwidths, n: [m, n] };
}

// ---------------------------------------------------------------- modes of label-conditioned priors

/**
 * The mode of a label-conditioned prior that each code belongs to: the mode of highest
 * `prior.logDensity` (ties: the lowest mode). Codes are rows of nZ values. For the built-ins, whose
 * every pair of dimensions is a draw for the same label (lib/priors.ts), the density sums over the
 * pairs: gaussian mixture, the Mahalanobis distance to the mode under its own covariance (the mode of
 * highest density); swiss roll, the squared distance to the mode's segment of the curve; labeled
 * gaussian, a majority vote of the pairs' sectors, ties to the first pair's sector.
 */
export function assignModes(codes: Float32Array, nZ: number, prior: PriorName | Prior): Uint8Array {
  const p = getPrior(prior);
  checkPrior(p, nZ, true);
  if (!p.logDensity) throw new ConfigError(`prior "${p.name}" has no logDensity: mode assignment needs the density of each mode`);
  const K = p.modes!;
  const n = rows(codes, nZ, 'assignModes');
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const code = codes.subarray(i * nZ, (i + 1) * nZ);
    let best = 0;
    let bestScore = p.logDensity(code, 0);
    for (let k = 1; k < K; k++) {
      const s = p.logDensity(code, k);
      if (s > bestScore) {
        best = k;
        bestScore = s;
      }
    }
    out[i] = best;
  }
  return out;
}

/** Fraction of codes whose assigned mode (assignModes) is the mode of their own label. */
export function modeAccuracy(codes: Float32Array, labels: ArrayLike<number>, nZ: number, prior: PriorName | Prior): number {
  const assigned = assignModes(codes, nZ, prior);
  if (assigned.length !== labels.length) {
    throw new ConfigError(`modeAccuracy: ${assigned.length} codes for ${labels.length} labels`);
  }
  return 1 - classError(assigned, labels);
}

// ---------------------------------------------------------------- a trained model against its prior

export interface PriorMatch {
  prior: PriorName;
  nZ: number;
  /** Test images encoded. */
  count: number;
  /** Unbiased MMD^2 and its square root, between the codes and as many prior samples (see `mmd`). */
  mmd2: number;
  mmd: number;
  bandwidths: number[];
  /**
   * Supervised model: fraction of test codes in the mode of their label (assignModes). Null for the
   * semi-supervised model, whose style code is not conditioned on the label, and for a prior
   * without a density (logDensity).
   */
  modeAccuracy: number | null;
}

/**
 * How well a model's codes of `test` match `prior` (default: the model's): MMD against an equal
 * number of prior samples (the label-conditioned sampler for the supervised model, labels uniform
 * or by sector as in training; the unlabeled one for the semi-supervised style code), and the mode
 * accuracy where the prior has a density. Seeded: the prior samples and the subsamples come from Rng(seed).
 * The codes come from the averaged weights when the model keeps a running average (config.weightAverage).
 */
export function priorMatch(model: AAEModel, test: ImageSet, prior: PriorName | Prior = model.prior, seed = 0, opts: Omit<MmdOptions, 'rng'> = {}): PriorMatch {
  const nZ = model.config.nZ;
  const labeled = model.kind === 'supervised';
  const p = getPrior(prior);
  checkPrior(p, nZ, labeled);
  const codes = model.withAveragedWeights(() => model.encode(test.images));
  const rng = new Rng(seed);
  const sample = drawPrior(p, test.count, nZ, rng, labeled);
  const m = mmd(codes, sample.z, nZ, { ...opts, rng });
  return {
    prior: p.name,
    nZ,
    count: test.count,
    mmd2: m.mmd2,
    mmd: m.mmd,
    bandwidths: m.bandwidths,
    modeAccuracy: labeled && p.logDensity ? modeAccuracy(codes, test.labels, nZ, p) : null,
  };
}
