/**
 * Target priors of the AAE, seeded and typed. Definitions follow the original project's prior.py
 * (itself from the hwalsuklee AAE implementation), with two documented changes:
 *  - the original reseeds numpy (np.random.seed(0)) in every call, so every batch got the same
 *    prior samples; here samples come from the caller's seeded Rng stream;
 *  - label-conditioned priors accept any even n_z: each pair of dimensions is an independent
 *    draw from the 2-D prior for the same label (the original accepts only n_z = 2).
 */
import { Rng } from './random';
import { ConfigError } from './errors';

/**
 * Modes (labels) of the label-conditioned priors unless a data set says otherwise: the original's
 * ten, one per MNIST digit. A data set of K classes passes `modes` = K.
 */
export const DEFAULT_MODES = 10;

export const PRIOR_NAMES = ['gaussian', 'gaussian_mixture', 'swiss_roll'] as const;
export type PriorName = (typeof PRIOR_NAMES)[number];

export interface PriorSample {
  /** n * nZ values, row-major. */
  z: Float32Array;
  /** Mode / segment / sector id of each sample (0 to modes - 1; 0-9 by default). */
  labels: Uint8Array;
}

export function isPriorName(s: string): s is PriorName {
  return (PRIOR_NAMES as readonly string[]).includes(s);
}

/**
 * Throws a clear error when a prior does not support nZ.
 * `labeled` = the label-conditioned use (supervised model), which needs pairs of dimensions.
 */
export function checkPrior(prior: string, nZ: number, labeled: boolean): asserts prior is PriorName {
  if (!isPriorName(prior)) {
    throw new ConfigError(`unknown prior "${prior}"; valid choices: ${PRIOR_NAMES.join(', ')}`);
  }
  if (!Number.isInteger(nZ) || nZ < 1) throw new ConfigError(`n_z must be a positive integer, got ${nZ}`);
  const needsPairs = labeled || prior !== 'gaussian';
  if (needsPairs && nZ % 2 !== 0) {
    throw new ConfigError(
      `prior "${prior}"${labeled ? ' with labels' : ''} needs an even n_z (pairs of 2-D draws), got ${nZ}; ` +
        `valid: 2, 4, 6, ...${labeled ? '' : prior === 'gaussian' ? '' : ' (or use the gaussian prior for any n_z)'}`,
    );
  }
}

// ---------------------------------------------------------------- gaussian

/** N(0, std^2) in nZ dimensions (unlabeled; labels are all 0). */
export function gaussian(n: number, nZ: number, rng: Rng, std = 1): PriorSample {
  return { z: rng.fillNormal(new Float32Array(n * nZ), 0, std), labels: new Uint8Array(n) };
}

/**
 * Sector label of a 2-D point of the labeled gaussian: 0 inside the unit circle, otherwise
 * 1 + the 40-degree sector of its angle (1-9), as the original's
 * `((int)(9 * angle_deg)) // 360` (+9 if negative) + 1.
 */
export function gaussianSector(x: number, y: number, modes = DEFAULT_MODES): number {
  if (Math.sqrt(x * x + y * y) < 1) return 0;
  const deg = (Math.atan2(y, x) * 180) / Math.PI;
  let label = Math.floor(Math.trunc((modes - 1) * deg) / 360);
  if (label < 0) label += modes - 1;
  return label + 1;
}

/**
 * Labeled gaussian of the supervised model: x ~ N(0, I); the label of a sample is the sector
 * of its first pair of dimensions. For nZ > 2 every further pair is drawn from N(0, I)
 * restricted to the same sector (exact inverse-CDF sampling of radius and angle).
 */
export function labeledGaussian(n: number, nZ: number, rng: Rng, modes = DEFAULT_MODES): PriorSample {
  checkPrior('gaussian', nZ, true);
  const z = new Float32Array(n * nZ);
  const labels = new Uint8Array(n);
  const rIn = 1 - Math.exp(-0.5); // P(r < 1) for a 2-D standard normal
  for (let i = 0; i < n; i++) {
    const x = rng.normal();
    const y = rng.normal();
    z[i * nZ] = x;
    z[i * nZ + 1] = y;
    const k = gaussianSector(x, y, modes);
    labels[i] = k;
    for (let p = 2; p < nZ; p += 2) {
      // Radius and angle by inverse CDF; the angle is redrawn in the rare case the original's
      // integer truncation puts a sector edge (within 1/9 degree) on the other side.
      let px: number;
      let py: number;
      do {
        let r: number;
        let theta: number;
        if (k === 0) {
          r = Math.sqrt(-2 * Math.log(1 - rng.uniform() * rIn));
          theta = 2 * Math.PI * rng.uniform();
        } else {
          r = Math.sqrt(1 - 2 * Math.log(1 - rng.uniform()));
          theta = (k - 1 + rng.uniform()) * ((2 * Math.PI) / (modes - 1));
        }
        px = r * Math.cos(theta);
        py = r * Math.sin(theta);
      } while (gaussianSector(px, py, modes) !== k);
      z[i * nZ + p] = px;
      z[i * nZ + p + 1] = py;
    }
  }
  return { z, labels };
}

// ---------------------------------------------------------------- gaussian mixture

export const MIXTURE = { shift: 1.4, xStd: 0.5, yStd: 0.1 };

/**
 * Gaussian mixture: a sample of label k is (N(0, 0.5), N(0, 0.1)) rotated by 2*pi*k/10 and shifted
 * by 1.4 in that direction. (The original names the spreads x_var and y_var but passes them to
 * np.random.normal as standard deviations; so do we.)
 */
export function gaussianMixture(labels: ArrayLike<number>, nZ: number, rng: Rng, modes = DEFAULT_MODES): PriorSample {
  checkPrior('gaussian_mixture', nZ, true);
  const n = labels.length;
  const z = new Float32Array(n * nZ);
  for (let i = 0; i < n; i++) {
    const r = ((2 * Math.PI) / modes) * labels[i];
    const c = Math.cos(r);
    const s = Math.sin(r);
    for (let p = 0; p < nZ; p += 2) {
      const x = MIXTURE.xStd * rng.normal();
      const y = MIXTURE.yStd * rng.normal();
      z[i * nZ + p] = x * c - y * s + MIXTURE.shift * c;
      z[i * nZ + p + 1] = x * s + y * c + MIXTURE.shift * s;
    }
  }
  return { z, labels: Uint8Array.from(labels) };
}

// ---------------------------------------------------------------- swiss roll

/** Swiss roll: for label k, u = (U(0,1) + k) / 10, radius 3*sqrt(u), angle 4*pi*sqrt(u). */
export function swissRoll(labels: ArrayLike<number>, nZ: number, rng: Rng, modes = DEFAULT_MODES): PriorSample {
  checkPrior('swiss_roll', nZ, true);
  const n = labels.length;
  const z = new Float32Array(n * nZ);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < nZ; p += 2) {
      const u = (rng.uniform() + labels[i]) / modes;
      const r = 3 * Math.sqrt(u);
      const a = 4 * Math.PI * Math.sqrt(u);
      z[i * nZ + p] = r * Math.cos(a);
      z[i * nZ + p + 1] = r * Math.sin(a);
    }
  }
  return { z, labels: Uint8Array.from(labels) };
}

// ---------------------------------------------------------------- sampling front door

export function randomLabels(n: number, rng: Rng, modes = DEFAULT_MODES): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(modes);
  return out;
}

/**
 * Prior samples for the supervised model's discriminator (label-conditioned): gaussian → the
 * labeled gaussian (label from the sample's sector); gaussian_mixture / swiss_roll → labels
 * uniformly at random, then samples of those labels (as the original's main.py).
 */
export function sampleLabeled(prior: PriorName, n: number, nZ: number, rng: Rng, modes = DEFAULT_MODES): PriorSample {
  switch (prior) {
    case 'gaussian':
      return labeledGaussian(n, nZ, rng, modes);
    case 'gaussian_mixture':
      return gaussianMixture(randomLabels(n, rng, modes), nZ, rng, modes);
    case 'swiss_roll':
      return swissRoll(randomLabels(n, rng, modes), nZ, rng, modes);
  }
}

/** Prior samples for the semi-supervised style code (no label conditioning; labels are the modes drawn). */
export function sampleUnlabeled(prior: PriorName, n: number, nZ: number, rng: Rng, modes = DEFAULT_MODES): PriorSample {
  return prior === 'gaussian' ? gaussian(n, nZ, rng) : sampleLabeled(prior, n, nZ, rng, modes);
}

/** The categorical prior of the semi-supervised y-discriminator: one-hot rows of uniform labels. */
export function categorical(n: number, rng: Rng, nLabels = DEFAULT_MODES): { y: Float32Array; labels: Uint8Array } {
  const labels = new Uint8Array(n);
  const y = new Float32Array(n * nLabels);
  for (let i = 0; i < n; i++) {
    labels[i] = rng.int(nLabels);
    y[i * nLabels + labels[i]] = 1;
  }
  return { y, labels };
}

/** Centre of mode k of a 2-D label-conditioned prior (for nearest-mode metrics). */
export function modeCentres(prior: PriorName, modes = DEFAULT_MODES): Float32Array {
  const out = new Float32Array(modes * 2);
  for (let k = 0; k < modes; k++) {
    let x = 0;
    let y = 0;
    if (prior === 'gaussian_mixture') {
      const r = ((2 * Math.PI) / modes) * k;
      x = MIXTURE.shift * Math.cos(r);
      y = MIXTURE.shift * Math.sin(r);
    } else if (prior === 'swiss_roll') {
      const u = (0.5 + k) / modes;
      x = 3 * Math.sqrt(u) * Math.cos(4 * Math.PI * Math.sqrt(u));
      y = 3 * Math.sqrt(u) * Math.sin(4 * Math.PI * Math.sqrt(u));
    } else if (k > 0) {
      const a = ((k - 0.5) * 2 * Math.PI) / (modes - 1);
      // mean radius of a 2-D standard normal beyond r = 1 is about 1.8
      x = 1.8 * Math.cos(a);
      y = 1.8 * Math.sin(a);
    }
    out[2 * k] = x;
    out[2 * k + 1] = y;
  }
  return out;
}

/** @deprecated The earlier spelling of labeledGaussian, kept for existing notebooks and code. */
export const labelledGaussian = labeledGaussian;
/** @deprecated The earlier spelling of sampleLabeled, kept for existing notebooks and code. */
export const sampleLabelled = sampleLabeled;
/** @deprecated The earlier spelling of sampleUnlabeled, kept for existing notebooks and code. */
export const sampleUnlabelled = sampleUnlabeled;
