/**
 * Target priors of the AAE as values: a `Prior` is an object (name, modes if label-conditioned, a
 * seeded sampler of codes and their modes, the region manifold figures cover, an optional density
 * for metrics). The built-ins are instances, registered by name at import; `registerPrior` adds a
 * prior of your own, and `makeConfig({ prior })` takes the object itself (its name is what configs,
 * checkpoints, result files and `--prior` hold).
 *
 * The built-ins follow the original project's prior.py (itself from the hwalsuklee AAE
 * implementation), with two documented changes:
 *  - the original reseeds numpy (np.random.seed(0)) in every call, so every batch got the same
 *    prior samples; here samples come from the caller's seeded Rng stream;
 *  - label-conditioned priors accept any even n_z: each pair of dimensions is an independent
 *    draw from the 2-D prior for the same label (the original accepts only n_z = 2).
 * The original's priors have ten modes (MNIST's digits); `gaussian:K`, `gaussian_mixture:K` and
 * `swiss_roll:K` are the same shapes with K modes, for data sets with K classes.
 */
import { Rng } from './random';
import { ConfigError } from './errors';

/** The built-in priors of the original project (ten modes each). */
export const PRIOR_NAMES = ['gaussian', 'gaussian_mixture', 'swiss_roll'] as const;
export type BuiltinPriorName = (typeof PRIOR_NAMES)[number];
/** A prior's name as a config holds it: a built-in's (`gaussian_mixture`, `gaussian_mixture:16`, ...) or a registered prior's. */
export type PriorName = BuiltinPriorName | `${BuiltinPriorName}:${number}` | (string & {});

/** Modes of the original's priors. */
export const ORIGINAL_MODES = 10;

export interface PriorSample {
  /** n * nZ values, row-major. */
  z: Float32Array;
  /** Mode of each sample (0 to modes - 1; all 0 for a prior without modes). */
  labels: Uint8Array;
}

/**
 * A target prior. Only `name`, `region` and `sample` are required:
 *
 * ```ts
 * const ring: Prior = { name: 'ring', modes: 10, region: [-3, 3], sample(n, nZ, rng) { ... return { z, labels } } };
 * const config = makeConfig({ model: 'supervised', prior: ring, nZ: 2 });
 * ```
 */
export interface Prior {
  /** Its name in configs, checkpoints, result files and `--prior`: letters, digits, `_`, `-`, `.`. */
  readonly name: string;
  /** Heading of its figure panel (default: the name). */
  readonly title?: string;
  /**
   * Modes of its label-conditioned use. The supervised model joins a sample's mode (one-hot) to its
   * code for the discriminator, so it takes only a prior with as many modes as the data set has
   * classes. Absent: a prior without modes (the semi-supervised and clustering models' style only).
   */
  readonly modes?: number;
  /**
   * `n` samples in `nZ` dimensions, drawn from `rng` only (same state, same samples): codes and
   * their modes. The supervised model's discriminator sees both.
   */
  sample(n: number, nZ: number, rng: Rng): PriorSample;
  /** Samples for the uses that ignore the modes (the style code of the semi-supervised and clustering models); default `sample`. */
  sampleUnlabeled?(n: number, nZ: number, rng: Rng): PriorSample;
  /** What manifold figures cover: the first and last grid value on both axes. */
  readonly region: readonly [number, number];
  /** Throws a ConfigError when the prior cannot be used at nZ (`labeled`: the supervised model's use); default: any nZ. */
  check?(nZ: number, labeled: boolean): void;
  /**
   * For metrics (mode accuracy, which assigns a code to its highest-scoring mode): the log density
   * of `code` (nZ values) under mode `mode`, up to a constant shared by the modes, or any score that
   * orders the modes the same way. Absent: no mode accuracy.
   */
  logDensity?(code: Float32Array, mode: number): number;
}

// ---------------------------------------------------------------- gaussian

/** N(0, std^2) in nZ dimensions (unlabeled; labels are all 0). */
export function gaussian(n: number, nZ: number, rng: Rng, std = 1): PriorSample {
  return { z: rng.fillNormal(new Float32Array(n * nZ), 0, std), labels: new Uint8Array(n) };
}

/**
 * Sector label of a 2-D point of the labeled gaussian with `modes` modes: 0 inside the unit
 * circle, otherwise 1 + the (360 / (modes - 1))-degree sector of its angle, as the original's
 * `((int)(9 * angle_deg)) // 360` (+9 if negative) + 1 for ten modes.
 */
export function gaussianSector(x: number, y: number, modes = ORIGINAL_MODES): number {
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
export function labeledGaussian(n: number, nZ: number, rng: Rng, modes = ORIGINAL_MODES): PriorSample {
  needPairs('gaussian', nZ, true);
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

/** The original's mixture: modes at radius `shift`, spread xStd along the mode's direction and yStd across. */
export const MIXTURE = { shift: 1.4, xStd: 0.5, yStd: 0.1 };

/**
 * Radius of the modes of a mixture of K: the original's 1.4 up to ten modes, growing with K beyond
 * so that neighbouring modes stay as far apart as the original's ten.
 */
export function mixtureShift(modes: number): number {
  return MIXTURE.shift * Math.max(1, modes / ORIGINAL_MODES);
}

/**
 * Gaussian mixture: a sample of label k is (N(0, 0.5), N(0, 0.1)) rotated by 2*pi*k/modes and
 * shifted by mixtureShift(modes) in that direction. (The original names the spreads x_var and y_var
 * but passes them to np.random.normal as standard deviations; so do we.)
 */
export function gaussianMixture(labels: ArrayLike<number>, nZ: number, rng: Rng, modes = ORIGINAL_MODES): PriorSample {
  needPairs('gaussian_mixture', nZ, true);
  const n = labels.length;
  const z = new Float32Array(n * nZ);
  const shift = mixtureShift(modes);
  for (let i = 0; i < n; i++) {
    const r = ((2 * Math.PI) / modes) * labels[i];
    const c = Math.cos(r);
    const s = Math.sin(r);
    for (let p = 0; p < nZ; p += 2) {
      const x = MIXTURE.xStd * rng.normal();
      const y = MIXTURE.yStd * rng.normal();
      z[i * nZ + p] = x * c - y * s + shift * c;
      z[i * nZ + p + 1] = x * s + y * c + shift * s;
    }
  }
  return { z, labels: Uint8Array.from(labels) };
}

// ---------------------------------------------------------------- swiss roll

/** Swiss roll: for label k, u = (U(0,1) + k) / modes, radius 3*sqrt(u), angle 4*pi*sqrt(u). */
export function swissRoll(labels: ArrayLike<number>, nZ: number, rng: Rng, modes = ORIGINAL_MODES): PriorSample {
  needPairs('swiss_roll', nZ, true);
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

export function randomLabels(n: number, rng: Rng, modes = ORIGINAL_MODES): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(modes);
  return out;
}

/** The categorical prior of the semi-supervised y-discriminator: one-hot rows of uniform labels. */
export function categorical(n: number, rng: Rng, nLabels = ORIGINAL_MODES): { y: Float32Array; labels: Uint8Array } {
  const labels = new Uint8Array(n);
  const y = new Float32Array(n * nLabels);
  for (let i = 0; i < n; i++) {
    labels[i] = rng.int(nLabels);
    y[i * nLabels + labels[i]] = 1;
  }
  return { y, labels };
}

// ---------------------------------------------------------------- the built-in priors' modes

/** Centre of mode k of a built-in label-conditioned prior in 2-D (for nearest-mode metrics), k = 0 to modes - 1. */
export function modeCentres(prior: BuiltinPriorName, modes = ORIGINAL_MODES): Float32Array {
  const out = new Float32Array(modes * 2);
  const shift = mixtureShift(modes);
  for (let k = 0; k < modes; k++) {
    let x = 0;
    let y = 0;
    if (prior === 'gaussian_mixture') {
      const r = ((2 * Math.PI) / modes) * k;
      x = shift * Math.cos(r);
      y = shift * Math.sin(r);
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

/** Points per label along the swiss roll, for its nearest-segment score. */
export const SWISS_ROLL_POINTS_PER_LABEL = 1000;

/** The swiss-roll curve of `modes` segments, label k's at rows k*M .. (k+1)*M-1: u = (k + (j + 0.5)/M)/modes. */
function swissRollCurve(modes: number): Float64Array {
  const M = SWISS_ROLL_POINTS_PER_LABEL;
  const g = new Float64Array(modes * M * 2);
  for (let k = 0; k < modes; k++) {
    for (let j = 0; j < M; j++) {
      const u = (k + (j + 0.5) / M) / modes;
      const r = 3 * Math.sqrt(u);
      const a = 4 * Math.PI * Math.sqrt(u);
      g[2 * (k * M + j)] = r * Math.cos(a);
      g[2 * (k * M + j) + 1] = r * Math.sin(a);
    }
  }
  return g;
}

function needPairs(name: string, nZ: number, labeled: boolean): void {
  if (!Number.isInteger(nZ) || nZ < 1) throw new ConfigError(`n_z must be a positive integer, got ${nZ}`);
  const plain = name.split(':')[0] === 'gaussian';
  if ((labeled || !plain) && nZ % 2 !== 0) {
    throw new ConfigError(
      `prior "${name}"${labeled ? ' with labels' : ''} needs an even n_z (pairs of 2-D draws), got ${nZ}; ` +
        `valid: 2, 4, 6, ...${labeled || plain ? '' : ' (or use the gaussian prior for any n_z)'}`,
    );
  }
}

/**
 * A built-in prior with `modes` modes (the original's: 10, under its plain name; others are named
 * `<kind>:<modes>`, as getPrior makes them). Its samplers draw the random stream exactly as the
 * original's priors do.
 */
export function builtinPrior(kind: BuiltinPriorName, modes = ORIGINAL_MODES, name = modes === ORIGINAL_MODES ? kind : `${kind}:${modes}`): Prior {
  if (!(PRIOR_NAMES as readonly string[]).includes(kind)) throw new ConfigError(`unknown built-in prior "${kind}"; valid choices: ${PRIOR_NAMES.join(', ')}`);
  if (!Number.isInteger(modes) || modes < 2 || modes > MAX_MODES) throw new ConfigError(`prior "${kind}": modes must be an integer from 2 to ${MAX_MODES}, got ${modes}`);
  const check = (nZ: number, labeled: boolean) => needPairs(name, nZ, labeled);
  /** Sum over the code's pairs of f(x, y) (in pair order, as the earlier per-pair costs). */
  const overPairs = (code: Float32Array, f: (x: number, y: number) => number) => {
    let s = 0;
    for (let p = 0; p + 1 < code.length; p += 2) s += f(code[p], code[p + 1]);
    return s;
  };
  if (kind === 'gaussian') {
    return {
      name,
      title: 'gaussian (labelled by sector)',
      modes,
      region: [-2, 2],
      check,
      sample: (n, nZ, rng) => labeledGaussian(n, nZ, rng, modes),
      // N(0, I), the semi-supervised style's prior; labels: the sector of the first pair (colours of its figure; the model ignores them).
      sampleUnlabeled: (n, nZ, rng) => {
        const s = gaussian(n, nZ, rng);
        if (nZ >= 2) for (let i = 0; i < n; i++) s.labels[i] = gaussianSector(s.z[i * nZ], s.z[i * nZ + 1], modes);
        return s;
      },
      // The pairs in mode k's sector, a majority vote; ties go to the first pair's sector.
      logDensity: (code, k) => overPairs(code, (x, y) => (gaussianSector(x, y, modes) === k ? 1 : 0)) + (gaussianSector(code[0], code[1], modes) === k ? 0.5 : 0),
    };
  }
  if (kind === 'gaussian_mixture') {
    const c = modeCentres(kind, modes);
    const shift = mixtureShift(modes);
    return {
      name,
      title: modes === ORIGINAL_MODES ? 'gaussian mixture' : `gaussian mixture (${modes} modes)`,
      modes,
      // the modes' radius plus 2.2 spreads along them: [-2.5, 2.5] for the original's ten
      region: [-(shift + 1.1), shift + 1.1],
      check,
      sample: (n, nZ, rng) => gaussianMixture(randomLabels(n, rng, modes), nZ, rng, modes),
      // Mode k's log density up to a constant: minus half the squared Mahalanobis distance under its
      // own covariance (std 0.5 along its direction, 0.1 across); the modes have equal weights and determinants.
      logDensity: (code, k) => {
        const a = ((2 * Math.PI) / modes) * k;
        return (
          -0.5 *
          overPairs(code, (x, y) => {
            const dx = x - c[2 * k];
            const dy = y - c[2 * k + 1];
            const along = dx * Math.cos(a) + dy * Math.sin(a);
            const across = -dx * Math.sin(a) + dy * Math.cos(a);
            return (along / MIXTURE.xStd) ** 2 + (across / MIXTURE.yStd) ** 2;
          })
        );
      },
    };
  }
  let curve: Float64Array | null = null;
  return {
    name,
    title: modes === ORIGINAL_MODES ? 'swiss roll' : `swiss roll (${modes} segments)`,
    modes,
    region: [-3, 3],
    check,
    sample: (n, nZ, rng) => swissRoll(randomLabels(n, rng, modes), nZ, rng, modes),
    // A curve has no density off it: the score is minus the squared distance to the nearest point of
    // mode k's segment (sampled at SWISS_ROLL_POINTS_PER_LABEL points), summed over the pairs.
    logDensity: (code, k) => {
      const g = (curve ??= swissRollCurve(modes));
      const M = SWISS_ROLL_POINTS_PER_LABEL;
      return -overPairs(code, (x, y) => {
        let best = Infinity;
        for (let j = k * M; j < (k + 1) * M; j++) {
          const d = (x - g[2 * j]) ** 2 + (y - g[2 * j + 1]) ** 2;
          if (d < best) best = d;
        }
        return best;
      });
    },
  };
}

/** The most modes a prior may have (labels are bytes). */
export const MAX_MODES = 256;

// ---------------------------------------------------------------- the registry

const registry = new Map<string, Prior>();
const BUILTIN_FAMILY = /^(gaussian|gaussian_mixture|swiss_roll):([1-9]\d*)$/;
const NAME = /^[A-Za-z0-9_.-]+$/;

/** The kind and modes of a built-in `<kind>:<modes>` name (modes 2 to MAX_MODES), or null. */
function builtinFamily(name: string): [BuiltinPriorName, number] | null {
  const m = BUILTIN_FAMILY.exec(name);
  return m && Number(m[2]) >= 2 && Number(m[2]) <= MAX_MODES ? [m[1] as BuiltinPriorName, Number(m[2])] : null;
}

/** Throws a ConfigError naming what is wrong with a prior object. */
function checkPriorObject(p: Prior): void {
  if (p === null || typeof p !== 'object') throw new ConfigError(`a prior must be an object { name, region, sample, ... }, got ${String(p)}`);
  if (BUILTINS.has(p)) return;
  if (typeof p.name !== 'string' || !NAME.test(p.name)) {
    throw new ConfigError(`a prior's name must be letters, digits, "_", "-" or "." (it names files and --prior), got ${JSON.stringify(p.name)}`);
  }
  const what = `prior "${p.name}"`;
  if (typeof p.sample !== 'function') throw new ConfigError(`${what}: sample(n, nZ, rng) must be a function`);
  for (const k of ['sampleUnlabeled', 'check', 'logDensity'] as const) {
    if (p[k] !== undefined && typeof p[k] !== 'function') throw new ConfigError(`${what}: ${k} must be a function or absent`);
  }
  if (p.modes !== undefined && !(Number.isInteger(p.modes) && p.modes >= 1 && p.modes <= MAX_MODES)) {
    throw new ConfigError(`${what}: modes must be an integer from 1 to ${MAX_MODES} or absent, got ${String(p.modes)}`);
  }
  const r = p.region;
  if (!Array.isArray(r) || r.length !== 2 || !r.every((v) => typeof v === 'number' && Number.isFinite(v)) || !(r[0] < r[1])) {
    throw new ConfigError(`${what}: region must be [lo, hi] with finite lo < hi (the manifold figures' range), got ${JSON.stringify(r)}`);
  }
}

/**
 * Makes a prior known by its name: configs, checkpoints and the CLIs' --prior can then name it.
 * Registering again under the same name replaces the earlier prior (a notebook cell run twice);
 * the built-ins' names cannot be taken. Returns the prior.
 */
export function registerPrior(prior: Prior): Prior {
  checkPriorObject(prior);
  const known = registry.get(prior.name);
  if (known === prior) return prior;
  if ((known && BUILTINS.has(known)) || BUILTIN_FAMILY.test(prior.name)) {
    throw new ConfigError(`prior "${prior.name}" is a built-in prior's name; give yours another name`);
  }
  registry.set(prior.name, prior);
  return prior;
}

/** Whether `name` names a known prior: a registered one or a built-in `<kind>:<modes>`. */
export function isPriorName(name: string): boolean {
  return typeof name === 'string' && (registry.has(name) || builtinFamily(name) !== null);
}

/** The --prior choices: the registered priors' names and the built-ins' `<kind>:K` forms. */
export function priorChoices(): string[] {
  return [...registry.keys(), ...PRIOR_NAMES.map((k) => `${k}:K`)];
}

const familyCache = new Map<string, Prior>();

/**
 * The prior of a name (registered, or a built-in `<kind>:<modes>` such as `gaussian_mixture:16`);
 * a Prior object is returned as it is. An unknown name is a ConfigError listing the choices.
 */
export function getPrior(prior: PriorName | Prior): Prior {
  if (typeof prior !== 'string') {
    checkPriorObject(prior);
    return prior;
  }
  const p = registry.get(prior);
  if (p) return p;
  const family = builtinFamily(prior);
  if (family) {
    let f = familyCache.get(prior);
    if (!f) {
      f = builtinPrior(...family, prior);
      familyCache.set(prior, f);
      BUILTINS.add(f);
    }
    return f;
  }
  throw new ConfigError(
    `unknown prior "${prior}"; valid choices: ${priorChoices().join(', ')} (K modes, 2 to ${MAX_MODES}); ` +
      'a prior of your own: pass the Prior object (makeConfig({ prior }), or expect.prior when loading a checkpoint) or registerPrior(it) first',
  );
}

const BUILTINS = new Set<Prior>();
for (const kind of PRIOR_NAMES) {
  const p = builtinPrior(kind);
  BUILTINS.add(p);
  registry.set(p.name, p);
}

/**
 * Throws a clear error when a prior does not support nZ.
 * `labeled` = the label-conditioned use (supervised model), which needs a prior with modes (and
 * for the built-ins pairs of dimensions).
 */
export function checkPrior(prior: PriorName | Prior, nZ: number, labeled: boolean): void {
  const p = getPrior(prior);
  if (!Number.isInteger(nZ) || nZ < 1) throw new ConfigError(`n_z must be a positive integer, got ${nZ}`);
  if (labeled && p.modes === undefined) {
    throw new ConfigError(`prior "${p.name}" has no modes: the supervised model joins a prior sample's mode to its code as the label, so it needs a prior with modes`);
  }
  p.check?.(nZ, labeled);
}

/**
 * Throws a clear error when a prior's modes are not the `classes` of the data set (the supervised
 * model's use: a sample's mode stands for a class label).
 */
export function checkPriorModes(prior: PriorName | Prior, classes: number): void {
  const p = getPrior(prior);
  if (p.modes === classes) return;
  const base = p.name.split(':')[0];
  const same = `${(PRIOR_NAMES as readonly string[]).includes(base) ? base : 'gaussian_mixture'}${classes === ORIGINAL_MODES ? '' : `:${classes}`}`;
  throw new ConfigError(
    `prior "${p.name}" has ${p.modes === undefined ? 'no modes' : `${p.modes} modes`}, the data set has ${classes} classes: the supervised model joins a ` +
      `prior sample's mode to its code as the label, so they must be equal; valid: a prior with ${classes} modes, e.g. ${same}`,
  );
}

/**
 * `n` samples of a prior, checked (n * nZ finite-length codes, one mode per sample within the
 * prior's modes): `labeled` the label-conditioned sampler (the supervised model), else the one
 * for the style code (sampleUnlabeled, or sample).
 */
export function drawPrior(prior: Prior, n: number, nZ: number, rng: Rng, labeled: boolean): PriorSample {
  const s = labeled || !prior.sampleUnlabeled ? prior.sample(n, nZ, rng) : prior.sampleUnlabeled(n, nZ, rng);
  const what = `prior "${prior.name}": ${labeled || !prior.sampleUnlabeled ? 'sample' : 'sampleUnlabeled'}(${n}, ${nZ})`;
  if (!s || !(s.z instanceof Float32Array) || s.z.length !== n * nZ) {
    throw new ConfigError(`${what} must return { z: a Float32Array of n * nZ = ${n * nZ} values, labels }, got z ${s?.z instanceof Float32Array ? `of ${s.z.length} values` : typeof s?.z}`);
  }
  if (!(s.labels instanceof Uint8Array) || s.labels.length !== n) {
    throw new ConfigError(`${what} must return labels: a Uint8Array of n = ${n} modes, got ${s.labels instanceof Uint8Array ? `${s.labels.length}` : typeof s.labels}`);
  }
  if (labeled && prior.modes !== undefined) {
    for (let i = 0; i < n; i++) {
      if (s.labels[i] >= prior.modes) throw new ConfigError(`${what}: labels[${i}] is ${s.labels[i]}; valid modes: 0 to ${prior.modes - 1}`);
    }
  }
  return s;
}

// ---------------------------------------------------------------- sampling by name

/**
 * Prior samples for the supervised model's discriminator (label-conditioned): gaussian → the
 * labeled gaussian (label from the sample's sector); gaussian_mixture / swiss_roll → labels
 * uniformly at random, then samples of those labels (as the original's main.py).
 */
export function sampleLabeled(prior: PriorName | Prior, n: number, nZ: number, rng: Rng): PriorSample {
  const p = getPrior(prior);
  checkPrior(p, nZ, true);
  return drawPrior(p, n, nZ, rng, true);
}

/** Prior samples for the semi-supervised style code (no label conditioning; labels are the modes drawn). */
export function sampleUnlabeled(prior: PriorName | Prior, n: number, nZ: number, rng: Rng): PriorSample {
  const p = getPrior(prior);
  checkPrior(p, nZ, false);
  return drawPrior(p, n, nZ, rng, false);
}

/** @deprecated The earlier spelling of labeledGaussian, kept for existing notebooks and code. */
export const labelledGaussian = labeledGaussian;
/** @deprecated The earlier spelling of sampleLabeled, kept for existing notebooks and code. */
export const sampleLabelled = sampleLabeled;
/** @deprecated The earlier spelling of sampleUnlabeled, kept for existing notebooks and code. */
export const sampleUnlabelled = sampleUnlabeled;
