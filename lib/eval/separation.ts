/**
 * How well the semi-supervised AAE separates label and style: the measurements behind notebook 04
 * (the original README's remark that at n_z 2 "SemiSupervised AAE can't extract label information
 * from input image very well", put in numbers).
 *
 *  - Swapping: the style codes of test images are decoded with each of the 10 labels, and the
 *    decoded images are classified by the model's own label head. If label and style are separated,
 *    the decoded digit follows the label condition; if the style carries the digit, it follows the
 *    source image's digit instead.
 *  - Label information in the style: mutual information between the (binned) style code and the
 *    true label of the test images, and how often a k-nearest-neighbour vote in style space names
 *    the digit (chance: 10%). A style that carries no label information scores 0 bits and ~10%.
 */
import type { SemiSupervisedAAE } from '../models';
import { pixelsPerImage, type ImageSet } from '../data/mnist';

/** Entropy in bits of a table of counts. */
export function entropyBits(counts: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < counts.length; i++) n += counts[i];
  if (n === 0) return 0;
  let h = 0;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] > 0) {
      const p = counts[i] / n;
      h -= p * Math.log2(p);
    }
  }
  return h;
}

/**
 * Mutual information in bits between two discrete variables given as paired values
 * (a in 0..na-1, b in 0..nb-1): H(a) + H(b) - H(a, b) of the empirical joint distribution.
 * The plug-in estimate is biased upward by about (na-1)(nb-1) / (2 n ln 2) bits.
 */
export function mutualInformationBits(a: ArrayLike<number>, b: ArrayLike<number>, na: number, nb: number): number {
  if (a.length !== b.length) throw new RangeError(`mutualInformationBits: ${a.length} values against ${b.length}`);
  const joint = new Float64Array(na * nb);
  const ca = new Float64Array(na);
  const cb = new Float64Array(nb);
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (!(x >= 0 && x < na && y >= 0 && y < nb)) throw new RangeError(`mutualInformationBits: value pair (${x}, ${y}) outside ${na} x ${nb}`);
    joint[x * nb + y]++;
    ca[x]++;
    cb[y]++;
  }
  return Math.max(0, entropyBits(ca) + entropyBits(cb) - entropyBits(joint));
}

/**
 * Bin index of each row of an n x dim matrix: every dimension cut into `bins` equal-count
 * (quantile) bins, the cell index combining them (bins^dim cells).
 */
export function quantileBins(values: Float32Array, dim: number, bins: number): Uint32Array {
  const n = values.length / dim;
  if (!Number.isInteger(n)) throw new RangeError(`quantileBins: ${values.length} values is not a whole number of ${dim}-dim rows`);
  if (!(Number.isInteger(bins) && bins >= 1)) throw new RangeError(`quantileBins: bins must be a positive integer, got ${bins}`);
  const cell = new Uint32Array(n);
  for (let d = 0; d < dim; d++) {
    const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => values[i * dim + d] - values[j * dim + d]);
    for (let r = 0; r < n; r++) cell[order[r]] = cell[order[r]] * bins + Math.min(bins - 1, Math.floor((r * bins) / n));
  }
  return cell;
}

/**
 * Leave-one-out k-nearest-neighbour accuracy: how often the majority label of each row's k
 * nearest other rows (Euclidean) is the row's own label (labels 0 to K - 1). Ties go to the nearest neighbour's label.
 */
export function knnAccuracy(values: Float32Array, dim: number, labels: ArrayLike<number>, k = 10, K = 10): number {
  const n = labels.length;
  if (values.length !== n * dim) throw new RangeError(`knnAccuracy: ${n} labels need ${n * dim} values, got ${values.length}`);
  if (!(Number.isInteger(k) && k >= 1 && k < n)) throw new RangeError(`knnAccuracy: k must be from 1 to ${n - 1}, got ${k}`);
  const bestD = new Float64Array(k);
  const bestI = new Int32Array(k);
  let right = 0;
  for (let i = 0; i < n; i++) {
    bestD.fill(Infinity);
    bestI.fill(-1);
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let d = 0;
      for (let c = 0; c < dim; c++) {
        const t = values[i * dim + c] - values[j * dim + c];
        d += t * t;
      }
      if (d >= bestD[k - 1]) continue;
      let p = k - 1;
      while (p > 0 && bestD[p - 1] > d) {
        bestD[p] = bestD[p - 1];
        bestI[p] = bestI[p - 1];
        p--;
      }
      bestD[p] = d;
      bestI[p] = j;
    }
    const votes = new Int32Array(K);
    for (let p = 0; p < k; p++) votes[labels[bestI[p]]]++;
    let vote = labels[bestI[0]];
    for (let c = 0; c < K; c++) if (votes[c] > votes[vote]) vote = c;
    if (vote === labels[i]) right++;
  }
  return right / n;
}

export interface SwapResult {
  /** Test images whose style was taken. */
  images: number;
  /** Fraction of all decoded images (every style with every label) classified as their label condition. */
  followsCondition: number;
  /** Over the decoded images whose condition differs from the source image's digit: fraction classified as the condition. */
  followsConditionWhenSwapped: number;
  /** Same images: fraction classified as the source image's own digit (the style carried the digit). */
  followsSourceWhenSwapped: number;
  /** Per label condition k: fraction of the decoded images classified as k. */
  perCondition: number[];
  /** counts[k][p]: decoded images of condition k classified as p. */
  confusion: number[][];
  /** Bits: how much the predicted digit tells about the condition, and about the source image's digit. */
  miPredictionCondition: number;
  miPredictionSource: number;
  /** Bits: entropy of the condition (log2 10 = 3.32 when every label is used equally). */
  conditionEntropy: number;
}

/**
 * Decodes the style code of each of the first `count` test images with every label (0-9, or each of the K classes) and
 * classifies the results with the model's own label head.
 */
export function swapLabels(model: SemiSupervisedAAE, test: ImageSet, count = Math.min(1000, test.count)): SwapResult {
  if (!(Number.isInteger(count) && count >= 1 && count <= test.count)) {
    throw new RangeError(`swapLabels: count must be from 1 to ${test.count}, got ${count}`);
  }
  const nZ = model.config.nZ;
  const K = model.nClasses;
  const style = model.encode(test.images.subarray(0, count * pixelsPerImage(test)));
  const z = new Float32Array(count * K * nZ);
  const cond = new Uint8Array(count * K);
  const source = new Uint8Array(count * K);
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < K; k++) {
      const r = i * K + k;
      z.set(style.subarray(i * nZ, (i + 1) * nZ), r * nZ);
      cond[r] = k;
      source[r] = test.labels[i];
    }
  }
  const pred = model.classify(model.decode(z, cond));
  const confusion = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  let follows = 0;
  let swapped = 0;
  let swappedFollows = 0;
  let swappedSource = 0;
  for (let r = 0; r < pred.length; r++) {
    confusion[cond[r]][pred[r]]++;
    if (pred[r] === cond[r]) follows++;
    if (cond[r] !== source[r]) {
      swapped++;
      if (pred[r] === cond[r]) swappedFollows++;
      else if (pred[r] === source[r]) swappedSource++;
    }
  }
  const condCounts = new Array<number>(K).fill(count);
  return {
    images: count,
    followsCondition: follows / pred.length,
    followsConditionWhenSwapped: swapped ? swappedFollows / swapped : 0,
    followsSourceWhenSwapped: swapped ? swappedSource / swapped : 0,
    perCondition: confusion.map((row, k) => row[k] / count),
    confusion,
    miPredictionCondition: mutualInformationBits(pred, cond, K, K),
    miPredictionSource: mutualInformationBits(pred, source, K, K),
    conditionEntropy: entropyBits(condCounts),
  };
}

export interface StyleLabelInformation {
  images: number;
  /** Quantile bins per style dimension used for the mutual information. */
  bins: number;
  /** Bits of label information in the binned style code, and the label's entropy (the most it can be). */
  miStyleLabel: number;
  labelEntropy: number;
  /** Upward bias of the plug-in estimate, about (cells - 1)(K - 1) / (2 n ln 2) bits (K classes, 10 for MNIST). */
  miBias: number;
  /** Leave-one-out k-NN accuracy of the true digit from the style code alone (chance ~ 0.1). */
  knnAccuracy: number;
  k: number;
}

/**
 * Label information left in the style code of the first `count` test images: binned mutual
 * information (first two style dimensions when n_z > 2) and a k-NN vote.
 */
export function styleLabelInformation(model: SemiSupervisedAAE, test: ImageSet, opts: { count?: number; bins?: number; k?: number; knnCount?: number } = {}): StyleLabelInformation {
  const count = opts.count ?? test.count;
  if (!(Number.isInteger(count) && count > 1 && count <= test.count)) {
    throw new RangeError(`styleLabelInformation: count must be from 2 to ${test.count}, got ${count}`);
  }
  const nZ = model.config.nZ;
  const K = model.nClasses;
  const style = model.encode(test.images.subarray(0, count * pixelsPerImage(test)));
  const dims = Math.min(2, nZ);
  const planar = new Float32Array(count * dims);
  for (let i = 0; i < count; i++) for (let d = 0; d < dims; d++) planar[i * dims + d] = style[i * nZ + d];
  const bins = opts.bins ?? 8;
  const cells = quantileBins(planar, dims, bins);
  const nCells = bins ** dims;
  const labels = test.labels.subarray(0, count);
  const k = opts.k ?? 10;
  const kn = Math.min(count, opts.knnCount ?? 2000);
  return {
    images: count,
    bins,
    miStyleLabel: mutualInformationBits(cells, labels, nCells, K),
    labelEntropy: entropyBits(labelCounts(labels, K)),
    miBias: ((nCells - 1) * (K - 1)) / (2 * count * Math.LN2),
    knnAccuracy: knnAccuracy(style.subarray(0, kn * nZ), nZ, labels.subarray(0, kn), Math.min(k, kn - 1), K),
    k: Math.min(k, kn - 1),
  };
}

function labelCounts(labels: ArrayLike<number>, classes: number): number[] {
  const c = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) c[labels[i]]++;
  return c;
}
