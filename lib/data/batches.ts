/** Batching, balanced labeled subsets and the original's denoising input noise. */
import { pixelsPerImage, type ImageSet } from './mnist';
import { MNIST_SHAPE, DIGIT_NAMES, pixelsOf, shapeText, type ImageShape } from './dataset';
import { Rng } from '../random';
import { ConfigError } from '../errors';

export interface Batch {
  /** Clean images, batch * pixels (MNIST: 784): the reconstruction target. */
  x: Float32Array;
  /** Encoder input: x plus noise when denoising, else x itself. */
  xNoised: Float32Array;
  labels: Uint8Array;
  size: number;
}

/**
 * Order of the examples for one epoch: 0..n-1 in order (as the original) or a seeded
 * permutation. Only full batches are used (the original's len(images) // batch_size).
 */
export function epochOrder(n: number, rng: Rng | null): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (rng) rng.shuffle(order);
  return order;
}

export function batchesPerEpoch(n: number, batchSize: number): number {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ConfigError(`batchesPerEpoch: the batch size must be a positive integer, got ${String(batchSize)}`);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`batchesPerEpoch: the number of examples must be an integer >= 0, got ${String(n)}`);
  return Math.floor(n / batchSize);
}

/** The original's input noise: x + N(0, std) on every pixel, no clipping. */
export function addNoise(x: Float32Array, std: number, rng: Rng): Float32Array {
  return rng.addNormal(new Float32Array(x.length), x, std);
}

/** Gathers batch `b` of an epoch order; noise (std > 0) is added to the encoder input only. */
export function makeBatch(set: ImageSet, order: ArrayLike<number>, b: number, batchSize: number, noiseStd: number, rng: Rng): Batch {
  const P = pixelsPerImage(set);
  const x = new Float32Array(batchSize * P);
  const labels = new Uint8Array(batchSize);
  for (let i = 0; i < batchSize; i++) {
    const j = order[(b * batchSize + i) % order.length];
    x.set(set.images.subarray(j * P, (j + 1) * P), i * P);
    labels[i] = set.labels[j];
  }
  const xNoised = noiseStd > 0 ? addNoise(x, noiseStd, rng) : x;
  return { x, xNoised, labels, size: batchSize };
}

/**
 * Every image of x (n images of `shape`, row-major, channels last; default MNIST's 28x28) moved by
 * its own random whole-pixel offset (dx, dy), each uniform in [-maxShift, maxShift]; pixels moved in
 * from outside the frame are 0 (every channel). Returns a new array; draws two numbers per image
 * from rng (none when maxShift is 0, which returns a copy).
 */
export function shiftImages(x: Float32Array, maxShift: number, rng: Rng, shape: ImageShape = MNIST_SHAPE): Float32Array {
  const H = shape.height;
  const W = shape.width;
  const C = shape.channels;
  const P = pixelsOf(shape);
  const side = Math.min(H, W);
  if (!Number.isInteger(maxShift) || maxShift < 0 || maxShift >= side) {
    throw new ConfigError(`shiftImages: maxShift must be an integer from 0 to ${side - 1}, got ${maxShift}`);
  }
  if (x.length % P !== 0) throw new ConfigError(`shiftImages: ${x.length} values are not whole ${shapeText(shape)} images`);
  const out = new Float32Array(x.length);
  if (maxShift === 0) {
    out.set(x);
    return out;
  }
  const span = 2 * maxShift + 1;
  for (let i = 0; i < x.length / P; i++) {
    const dx = rng.int(span) - maxShift;
    const dy = rng.int(span) - maxShift;
    const base = i * P;
    // Destination rows r take source rows r - dy, columns c take source columns c - dx (C values a pixel).
    const c0 = Math.max(0, dx) * C;
    const c1 = Math.min(W, W + dx) * C;
    for (let r = Math.max(0, dy); r < Math.min(H, H + dy); r++) {
      const src = base + ((r - dy) * W - dx) * C;
      const dst = base + r * W * C;
      out.set(x.subarray(src + c0, src + c1), dst + c0);
    }
  }
  return out;
}

/** The largest random rotation, scaling and translation of warpImages. */
export interface Warp {
  /** degrees: each image turns by a uniform angle in [-rotate, rotate] */
  rotate: number;
  /** each image scales by a uniform factor in [1 - scale, 1 + scale] */
  scale: number;
  /** pixels: each image moves by a uniform (dx, dy), each in [-shift, shift] */
  shift: number;
  /**
   * pixels: the strength (alpha) of an elastic distortion on top of the turn, scaling and move
   * (0 or absent: none): each image's own field of random displacements, uniform in [-1, 1] per pixel
   * and axis, smoothed by a Gaussian of elasticSigma pixels and scaled by alpha (Simard et al., 2003)
   */
  elastic?: number;
  /** pixels: the width of the elastic distortion's smoothing (default ELASTIC_SIGMA) */
  elasticSigma?: number;
}

/** The elastic distortion's default smoothing width, pixels (Simard et al.'s for MNIST). */
export const ELASTIC_SIGMA = 4;

/**
 * A normalised Gaussian kernel of width sigma, cut at 3 sigma: taps[radius + k] for k in -radius..radius.
 */
function gaussianTaps(sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const taps = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let k = -radius; k <= radius; k++) sum += taps[k + radius] = Math.exp(-(k * k) / (2 * sigma * sigma));
  for (let k = 0; k < taps.length; k++) taps[k] /= sum;
  return taps;
}

/**
 * One image's elastic displacement along one axis, into out (H * W): H * W uniforms in [-1, 1] from
 * rng, smoothed along rows then columns by taps (what lies outside the frame counts as 0, as
 * scipy's gaussian_filter with mode 'constant'), times alpha. tmp is H * W scratch.
 */
function elasticField(out: Float32Array, tmp: Float32Array, H: number, W: number, taps: Float32Array, alpha: number, rng: Rng): void {
  const radius = (taps.length - 1) / 2;
  for (let i = 0; i < H * W; i++) out[i] = 2 * rng.uniform() - 1;
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      let acc = 0;
      for (let k = Math.max(-radius, -c); k <= Math.min(radius, W - 1 - c); k++) acc += taps[k + radius] * out[r * W + c + k];
      tmp[r * W + c] = acc;
    }
  }
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      let acc = 0;
      for (let k = Math.max(-radius, -r); k <= Math.min(radius, H - 1 - r); k++) acc += taps[k + radius] * tmp[(r + k) * W + c];
      out[r * W + c] = alpha * acc;
    }
  }
}

/**
 * Every image of x turned, scaled and moved about its centre by its own random amounts (Warp), and
 * elastically distorted when warp.elastic > 0, resampled bilinearly; what comes in from outside the
 * frame is 0. Returns a new array; draws four numbers per image from rng, and with the elastic
 * distortion 2 * height * width more (its two displacement fields).
 */
export function warpImages(x: Float32Array, warp: Warp, rng: Rng, shape: ImageShape = MNIST_SHAPE): Float32Array {
  const H = shape.height;
  const W = shape.width;
  const C = shape.channels;
  const P = pixelsOf(shape);
  if (x.length % P !== 0) throw new ConfigError(`warpImages: ${x.length} values are not whole ${shapeText(shape)} images`);
  const out = new Float32Array(x.length);
  const cy = (H - 1) / 2;
  const cx = (W - 1) / 2;
  const at = (base: number, r: number, c: number, ch: number) => (r >= 0 && r < H && c >= 0 && c < W ? x[base + (r * W + c) * C + ch] : 0);
  const alpha = warp.elastic ?? 0;
  const taps = alpha > 0 ? gaussianTaps(warp.elasticSigma ?? ELASTIC_SIGMA) : null;
  const ex = new Float32Array(taps ? H * W : 0);
  const ey = new Float32Array(ex.length);
  const tmp = new Float32Array(ex.length);
  for (let i = 0; i < x.length / P; i++) {
    const angle = ((2 * rng.uniform() - 1) * warp.rotate * Math.PI) / 180;
    const s = 1 + (2 * rng.uniform() - 1) * warp.scale;
    const dx = (2 * rng.uniform() - 1) * warp.shift;
    const dy = (2 * rng.uniform() - 1) * warp.shift;
    // destination p = centre + s R (q - centre) + d, so the source q = centre + R^T (p - centre - d) / s
    const cos = Math.cos(angle) / s;
    const sin = Math.sin(angle) / s;
    const base = i * P;
    if (taps) {
      elasticField(ex, tmp, H, W, taps, alpha, rng);
      elasticField(ey, tmp, H, W, taps, alpha, rng);
    }
    for (let r = 0; r < H; r++) {
      for (let c = 0; c < W; c++) {
        const u = c - cx - dx;
        const v = r - cy - dy;
        // the elastic displacement of the destination pixel moves its source (0 without)
        const sc = cx + cos * u + sin * v + (taps ? ex[r * W + c] : 0);
        const sr = cy - sin * u + cos * v + (taps ? ey[r * W + c] : 0);
        const r0 = Math.floor(sr);
        const c0 = Math.floor(sc);
        const fr = sr - r0;
        const fc = sc - c0;
        for (let ch = 0; ch < C; ch++) {
          const top = at(base, r0, c0, ch) * (1 - fc) + at(base, r0, c0 + 1, ch) * fc;
          const bottom = at(base, r0 + 1, c0, ch) * (1 - fc) + at(base, r0 + 1, c0 + 1, ch) * fc;
          out[base + (r * W + c) * C + ch] = top * (1 - fr) + bottom * fr;
        }
      }
    }
  }
  return out;
}

/**
 * Every image moved by up to warp.shift pixels: by whole pixels (shiftImages) when warp.rotate,
 * warp.scale and warp.elastic are 0, else turned, scaled, moved and elastically distorted
 * (warpImages). The labeled batches and the consistency regulariser's batch are moved this way.
 */
export function moveImages(x: Float32Array, warp: Warp, rng: Rng, shape: ImageShape = MNIST_SHAPE): Float32Array {
  return warp.rotate > 0 || warp.scale > 0 || (warp.elastic ?? 0) > 0 ? warpImages(x, warp, rng, shape) : shiftImages(x, warp.shift, rng, shape);
}

/** One-hot rows for labels. */
export function oneHot(labels: ArrayLike<number>, n = DIGIT_NAMES.length): Float32Array {
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`oneHot: n must be a positive integer, got ${String(n)}`);
  const out = new Float32Array(labels.length * n);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0 || l >= n) throw new ConfigError(`oneHot: labels[${i}] is ${String(l)}; valid labels: integers 0 to ${n - 1}`);
    out[i * n + l] = 1;
  }
  return out;
}

/**
 * Indices of a balanced labeled subset: n/K examples of each of the K classes (`classNames`;
 * default MNIST's ten digits), chosen with a seeded generator; the rest are returned as unlabeled.
 * n must be a multiple of K no larger than the set.
 */
export function balancedSubset(labels: ArrayLike<number>, n: number, rng: Rng, classNames: readonly string[] = DIGIT_NAMES): { labeled: Uint32Array; unlabeled: Uint32Array } {
  const K = classNames.length;
  if (!Number.isInteger(n) || n <= 0 || n % K !== 0) {
    throw new ConfigError(`labeled subset size must be a positive multiple of ${K}${classNames === DIGIT_NAMES ? '' : ` (the ${K} classes)`}, got ${n}`);
  }
  const per = n / K;
  const byClass: number[][] = Array.from({ length: K }, () => []);
  for (let i = 0; i < labels.length; i++) byClass[labels[i]].push(i);
  const chosen = new Uint8Array(labels.length);
  const labeled: number[] = [];
  for (let k = 0; k < K; k++) {
    if (byClass[k].length < per) {
      const which = classNames === DIGIT_NAMES ? `digit ${k}` : `class ${k} (${classNames[k]})`;
      throw new ConfigError(`labeled subset of ${n} needs ${per} examples of ${which}, the set has ${byClass[k].length}`);
    }
    const idx = Uint32Array.from(byClass[k]);
    rng.shuffle(idx);
    for (let i = 0; i < per; i++) {
      labeled.push(idx[i]);
      chosen[idx[i]] = 1;
    }
  }
  labeled.sort((a, b) => a - b);
  const unlabeled: number[] = [];
  for (let i = 0; i < labels.length; i++) if (!chosen[i]) unlabeled.push(i);
  return { labeled: Uint32Array.from(labeled), unlabeled: Uint32Array.from(unlabeled) };
}
