/**
 * The data behind each figure, computed from a trained model (keep_prob 1) or from a prior.
 * Pure inputs for the spec builders in specs.ts.
 */
import type { AAEModel, SemiSupervisedAAE } from '../models';
import { N_LABELS, PIXELS, type ImageSet } from '../data/mnist';
import { ConfigError } from '../errors';
import { PRIOR_NAMES, checkPrior, drawPrior, getPrior, type Prior, type PriorName } from '../priors';
import { Rng } from '../random';
import { gridValues, type ConditionalGeneration, type ConditionalManifolds, type DimPair, type LatentCodes, type ManifoldGrid, type PriorPanel, type RestorationData } from './specs';

function firstImages(set: ImageSet, count: number, what: string): { images: Float32Array; labels: Uint8Array } {
  if (!(Number.isInteger(count) && count > 0 && count <= set.count)) {
    throw new RangeError(`${what}: count must be an integer from 1 to ${set.count} (the set's size), got ${count}`);
  }
  return { images: set.images.subarray(0, count * PIXELS), labels: set.labels.subarray(0, count) };
}

/** Codes (style codes for the semi-supervised model) of the first `count` images of a set, with their digits. */
export function latentCodes(model: AAEModel, set: ImageSet, count = set.count): LatentCodes {
  const { images, labels } = firstImages(set, count, 'latentCodes');
  return { codes: model.encode(images), nZ: model.config.nZ, labels };
}

/** The first `count` images of a set and their reconstructions. */
export function restorationData(model: AAEModel, set: ImageSet, count = 100): RestorationData {
  const { images } = firstImages(set, count, 'restorationData');
  return { originals: images, reconstructions: model.reconstruct(images), count };
}

/**
 * Default manifold range of a prior: its region, which covers most of its support, so the grid shows
 * what the decoder learnt where codes actually are (the original's [-0.5, 0.5] shows only the centre):
 * gaussian ±2 (95% of each coordinate), gaussian mixture ±2.5 (modes at radius 1.4, spread 0.5),
 * swiss roll ±3 (its radius).
 */
export function defaultManifoldRange(prior: PriorName | Prior): [number, number] {
  const [lo, hi] = getPrior(prior).region;
  return [lo, hi];
}

/** Default grid sizes: 20 x 20 for one manifold, 10 x 10 (the original's) per label for ten. */
export const MANIFOLD_GRID_SIZE = 20;
export const CONDITIONAL_GRID_SIZE = 10;

export interface ManifoldOptions2D {
  gridSize?: number;
  /** First and last grid value on both axes (default: defaultManifoldRange of the model's prior). */
  range?: [number, number];
  /** The two latent dimensions varied (default [0, 1]); every other dimension is held at 0. */
  dims?: DimPair;
}

/** Latent points of a grid, nZ values each, in ManifoldGrid order (row 0 = highest z[dims[1]]). */
export function gridCodes(nZ: number, gridSize: number, range: [number, number], dims: DimPair = [0, 1]): Float32Array {
  for (const d of dims) if (!(Number.isInteger(d) && d >= 0 && d < nZ)) throw new RangeError(`manifold: dimension ${d} is not in 0..${nZ - 1} (n_z = ${nZ})`);
  if (dims[0] === dims[1]) throw new RangeError(`manifold: the two dimensions must differ, got ${dims[0]} and ${dims[1]}`);
  const v = gridValues(gridSize, range);
  const z = new Float32Array(gridSize * gridSize * nZ);
  for (let r = 0; r < gridSize; r++) {
    for (let c = 0; c < gridSize; c++) {
      const i = r * gridSize + c;
      z[i * nZ + dims[0]] = v[c];
      z[i * nZ + dims[1]] = v[gridSize - 1 - r];
    }
  }
  return z;
}

function resolveGrid(model: AAEModel, o: ManifoldOptions2D, defaultSize: number) {
  const nZ = model.config.nZ;
  if (nZ < 2) throw new RangeError(`manifold: needs n_z >= 2, the model has n_z = ${nZ}`);
  const gridSize = o.gridSize ?? defaultSize;
  const range = o.range ?? defaultManifoldRange(model.prior);
  const dims = o.dims ?? [0, 1];
  return { nZ, gridSize, range, dims, z: gridCodes(nZ, gridSize, range, dims) };
}

/**
 * The supervised model's learnt manifold (PMLR): the decoder's output at each grid point. For n_z > 2
 * the grid spans `dims` and every other dimension is 0. With a semi-supervised model, `label`
 * (default 0) is the label joined to every style.
 */
export function manifoldGrid(model: AAEModel, opts: ManifoldOptions2D & { label?: number } = {}): ManifoldGrid {
  const g = resolveGrid(model, opts, MANIFOLD_GRID_SIZE);
  const n = g.gridSize * g.gridSize;
  const labels = model.kind === 'semi_supervised' ? new Uint8Array(n).fill(opts.label ?? 0) : undefined;
  return { images: model.decode(g.z, labels), gridSize: g.gridSize, range: g.range, dims: g.dims, nZ: g.nZ };
}

/** The semi-supervised manifolds: the same style grid decoded with each label 0-9. */
export function conditionalManifolds(model: SemiSupervisedAAE, opts: ManifoldOptions2D = {}): ConditionalManifolds {
  const g = resolveGrid(model, opts, CONDITIONAL_GRID_SIZE);
  const n = g.gridSize * g.gridSize;
  const imagesByLabel = Array.from({ length: N_LABELS }, (_, k) => model.decode(g.z, new Uint8Array(n).fill(k)));
  return { imagesByLabel, gridSize: g.gridSize, range: g.range, dims: g.dims, nZ: g.nZ };
}

/**
 * Conditional generation (PARR): `styles` style vectors drawn from the model's prior, each decoded
 * with every label; image s * 10 + k = style s with label k.
 */
export function conditionalGeneration(model: SemiSupervisedAAE, rng: Rng, styles = 10): ConditionalGeneration {
  const nZ = model.config.nZ;
  const style = drawPrior(model.prior, styles, nZ, rng, false).z;
  const z = new Float32Array(styles * N_LABELS * nZ);
  const labels = new Uint8Array(styles * N_LABELS);
  for (let s = 0; s < styles; s++) {
    for (let k = 0; k < N_LABELS; k++) {
      z.set(style.subarray(s * nZ, (s + 1) * nZ), (s * N_LABELS + k) * nZ);
      labels[s * N_LABELS + k] = k;
    }
  }
  return { images: model.decode(z, labels), styles };
}

function usable(prior: Prior, nZ: number, labeled: boolean): boolean {
  try {
    checkPrior(prior, nZ, labeled);
    return true;
  } catch (e) {
    if (e instanceof ConfigError) return false;
    throw e;
  }
}

/**
 * `n` samples of a prior in nZ dimensions, coloured by their mode: drawn as the supervised model
 * draws them where the prior has modes and takes nZ (for the gaussian the labelled variant: 0 inside
 * the unit circle, else the 40° sector of the first pair; for the mixture and the swiss roll labels
 * uniform at random), else as the style code's prior (for the gaussian at odd nZ: N(0, I), coloured
 * by the sector of the first pair).
 */
export function priorPanel(prior: PriorName | Prior, n: number, nZ: number, rng: Rng, dims: DimPair = [0, 1]): PriorPanel {
  const p = getPrior(prior);
  const labeled = p.modes !== undefined && usable(p, nZ, true);
  if (!labeled) checkPrior(p, nZ, false);
  const { z, labels } = drawPrior(p, n, nZ, rng, labeled);
  return { title: p.title ?? p.name, z, nZ, labels, dims };
}

/** The three 2-D target priors of the original README, `n` samples each. */
export function targetPriorPanels(n = 5000, rng = new Rng(0)): PriorPanel[] {
  return PRIOR_NAMES.map((p) => priorPanel(p, n, 2, rng));
}
