/**
 * One config object per experiment, with the original project's defaults as a preset named for it
 * and a faster preset that reproduces the figures in minutes on a 2-core CPU.
 */
import { checkPrior, checkPriorModes, registerPrior, type Prior, type PriorName } from '../priors';
import { ConfigError, checkPositiveInt } from '../errors';
import { OPTIONAL_DATA_FIELDS, classCountOf, validateDataConfig, type DataConfig } from '../data/config';
import { ELASTIC_SIGMA } from '../data/batches';
import { validateTrainConfig, type TrainConfig } from '../nn/train-config';
import type { LrStep } from '../nn/optimizer';
export { ConfigError };
export * from '../data/config';
export * from '../nn/train-config';
export type { LrStep };

export const MODEL_NAMES = ['supervised', 'semi_supervised', 'clustering', 'unsupervised'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];
export const PRESET_NAMES = ['original', 'fast', 'paper', 'paper-sgd'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];
/** The built-in architectures: every network an MLP (the original), or a conv encoder and a transposed-conv decoder (lib/nn/nets.ts). */
export const NETWORK_NAMES = ['mlp', 'conv'] as const;
export type NetworkName = (typeof NETWORK_NAMES)[number];
/** The networks whose built-in MLP's hidden sizes can be set apart (discriminator: every discriminator of the model). */
export const SIZED_NETWORKS = ['encoder', 'decoder', 'discriminator'] as const;
export type SizedNetwork = (typeof SIZED_NETWORKS)[number];
/** Hidden layers of an MLP: a number n is two layers of n units (the original's), a list gives each layer's units. */
export type HiddenSizes = number | number[];
/** The most hidden layers a built-in MLP takes, and the most units in one. */
export const MAX_HIDDEN_LAYERS = 10;
export const MAX_HIDDEN_UNITS = 100000;

/**
 * The config of one experiment: the model's fields here, the data's (DataConfig, lib/data/config.ts)
 * and the training's (TrainConfig, lib/nn/train-config.ts: epochs, optimizer, learning rates, seed).
 */
export interface AAEConfig extends DataConfig, TrainConfig {
  model: ModelName;
  prior: PriorName;
  /** Size of the latent code z (supervised) or of the style code (semi-supervised). */
  nZ: number;
  /**
   * Hidden layers of the built-in MLPs (encoder, decoder and discriminators): a number n is two
   * layers of n units each (the original's), a list the units of each layer ([500, 250]).
   */
  nHidden: HiddenSizes;
  /** Per network, hidden layers that replace nHidden's for that network's built-in MLP ({} : none). */
  hiddenPerNetwork: Partial<Record<SizedNetwork, HiddenSizes>>;
  /**
   * The built-in networks: 'mlp' (the original) or 'conv' (a convolutional encoder and a
   * transposed-convolution decoder, lib/nn/nets.ts; the discriminators stay MLPs). Networks passed
   * by value (createExperiment's `networks`) replace these.
   */
  networks: NetworkName;
  /** Dropout keep probability during training (1.0 at evaluation). */
  keepProb: number;
  /** Std of the Gaussian noise added to the encoder input (0 = no denoising). */
  noiseStd: number;
  /**
   * Clustering: K, the width of the categorical head (the clusters; the AAE paper uses 16 and 30).
   */
  clusters: number;
  /**
   * Semi-supervised and clustering: weight of the balance regulariser of the categorical head in
   * the generator phase, headBalance * (log K - H(mean over the batch of the head's softmax));
   * 0 = none (the paper).
   */
  headBalance: number;
  /**
   * Semi-supervised and clustering: weight of the consistency regulariser of the categorical head
   * in the generator phase: the cross-entropy of the head's probabilities for the batch moved by up
   * to ±2 pixels against those for the batch itself (held fixed); 0 = none (the paper).
   */
  headConsistency: number;
  /**
   * Semi-supervised and clustering, with headConsistency: the largest turn (degrees) of the batch
   * the head must agree with, each image its own uniform angle in [-consistencyRotate,
   * consistencyRotate]. With consistencyScale, 0 for both moves the batch by whole pixels (±2);
   * otherwise every image is turned, scaled and moved (by up to ±2 px, not only whole ones) and
   * resampled bilinearly (warpImages).
   */
  consistencyRotate: number;
  /** With headConsistency: the largest relative scaling of the batch the head must agree with, each image by its own factor in [1 - s, 1 + s] (see consistencyRotate). */
  consistencyScale: number;
}

const ORIGINAL: AAEConfig = {
  model: 'semi_supervised',
  prior: 'gaussian',
  nZ: 20,
  nHidden: 3000,
  hiddenPerNetwork: {},
  networks: 'mlp',
  epochs: 100,
  evalEvery: 1,
  batchSize: 128,
  keepProb: 0.9,
  noiseStd: 0.3,
  labeledNoiseStd: 0,
  labeledShift: 0,
  labeledRotate: 0,
  labeledScale: 0,
  labeledElastic: 0,
  labeledElasticSigma: ELASTIC_SIGMA,
  lrSchedule: [
    { from: 0, lr: 1e-3 },
    { from: 51, lr: 1e-4 },
  ],
  lrDecay: 'step',
  dLrFactor: 0.2,
  generatorLrFactor: 1,
  crossEntropyLrFactor: 1,
  optimizer: 'adam',
  reconstructionLoss: 'mean',
  momentum: 0.9,
  regularizationMomentum: 0.1,
  weightAverage: 0,
  clusters: 16,
  headBalance: 0,
  headConsistency: 0,
  consistencyRotate: 0,
  consistencyScale: 0,
  nLabeled: 5000,
  labeledFrom: 'validation',
  trainSize: 0,
  shuffle: false,
  seed: 0,
};

const FAST: AAEConfig = {
  ...ORIGINAL,
  nHidden: 1000,
  epochs: 10,
  batchSize: 100,
  lrSchedule: [
    { from: 0, lr: 1e-3 },
    { from: 8, lr: 1e-4 },
  ],
  shuffle: true,
};

/**
 * The AAE paper's semi-supervised MNIST setup (Makhzani et al., arXiv 1511.05644, section 5), as far
 * as this library's building blocks go: encoder, decoder and both discriminators with two hidden
 * layers of 1000 ReLU units, a 10-dim Gaussian style code next to the 10-way softmax label head,
 * mini-batches of 100 (550 per epoch), a balanced labeled subset (N/10 per class, seeded, drawn from
 * the 55,000 training images; the rest is the unlabeled set) and a shuffled training set.
 * Deviations, documented in docs/results.md: the paper trains every phase with SGD + momentum and
 * its own learning-rate drops, over more epochs than are practical here; this preset keeps the
 * original project's Adam optimizers (lr 1e-3, discriminators lr/5), its input noise (std 0.3) and
 * dropout (keep 0.9), and drops lr to 1e-4 after 50 of 100 epochs. --epochs lengthens a run.
 */
const PAPER: AAEConfig = {
  ...ORIGINAL,
  model: 'semi_supervised',
  nZ: 10,
  nHidden: 1000,
  epochs: 100,
  batchSize: 100,
  lrSchedule: [
    { from: 0, lr: 1e-3 },
    { from: 50, lr: 1e-4 },
  ],
  nLabeled: 1000,
  labeledFrom: 'balanced',
  shuffle: true,
};

/**
 * The `paper` setup trained with the AAE paper's optimizer schedule instead of the original project's
 * Adam: SGD with momentum in every phase, reconstruction at lr 0.01 (momentum 0.9), the adversarial
 * phases (both discriminators and the generator) at 0.1 (momentum 0.1), the labeled cross-entropy
 * phase at 0.1 (momentum 0.9), every rate divided by 10 after 50 epochs and again after 1000. These
 * rates are the ones a public reproduction of the paper uses (the paper's appendix itself could not
 * be consulted here; see docs/results.md). The reconstruction cost is the squared error summed over
 * the pixels: with the original's per-pixel mean, whose gradients are 784 times smaller, SGD at 0.01
 * barely moves the autoencoder.
 */
const PAPER_SGD: AAEConfig = {
  ...PAPER,
  optimizer: 'momentum',
  reconstructionLoss: 'sum',
  momentum: 0.9,
  regularizationMomentum: 0.1,
  lrSchedule: [
    { from: 0, lr: 0.01 },
    { from: 50, lr: 0.001 },
    { from: 1000, lr: 0.0001 },
  ],
  dLrFactor: 10,
  generatorLrFactor: 10,
  crossEntropyLrFactor: 10,
};

export const PRESETS: Record<PresetName, Readonly<AAEConfig>> = { original: ORIGINAL, fast: FAST, paper: PAPER, 'paper-sgd': PAPER_SGD };

/** The config fields of the first checkpoints and result files. */
const FIRST_FIELDS: readonly string[] = [
  'model',
  'prior',
  'nZ',
  'nHidden',
  'epochs',
  'batchSize',
  'keepProb',
  'noiseStd',
  'lrSchedule',
  'dLrFactor',
  'nLabeled',
  'labeledFrom',
  'trainSize',
  'shuffle',
  'seed',
];

/**
 * Config fields added after the first checkpoints and result files were written (every field since),
 * with the value that reproduces how those were trained, the original's: loading an older checkpoint
 * or result fills them in. A new field needs its value in ORIGINAL and nothing here.
 */
export const CONFIG_FIELDS_ADDED: Readonly<Partial<AAEConfig>> = Object.fromEntries(Object.entries(ORIGINAL).filter(([k]) => !FIRST_FIELDS.includes(k)));

/** Config overrides: `prior` may be a Prior object (registered by its name, which the config holds). */
export type ConfigOverrides = Partial<Omit<AAEConfig, 'prior'>> & { prior?: PriorName | Prior };

/** A full config: a preset with overrides. */
export function makeConfig(overrides: ConfigOverrides = {}, preset: PresetName = 'fast'): AAEConfig {
  if (!(PRESET_NAMES as readonly string[]).includes(preset)) {
    throw new ConfigError(`unknown preset "${preset}"; valid choices: ${PRESET_NAMES.join(', ')}`);
  }
  const cfg: AAEConfig = { ...PRESETS[preset], lrSchedule: PRESETS[preset].lrSchedule.map((s) => ({ ...s })) };
  if (overrides === null || typeof overrides !== 'object') throw new TypeError(`makeConfig: overrides must be an object, got ${String(overrides)}`);
  for (const k of Object.keys(overrides)) {
    if (!(k in cfg) && !OPTIONAL_DATA_FIELDS.includes(k)) throw new ConfigError(`makeConfig: unknown config field "${k}"; valid fields: ${Object.keys(cfg).join(', ')}`);
  }
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) (cfg as unknown as Record<string, unknown>)[k] = v;
  if (overrides.prior !== undefined && typeof overrides.prior !== 'string') cfg.prior = registerPrior(overrides.prior).name;
  validateConfig(cfg);
  return cfg;
}

/** The models that train on labels: they refuse a data set without. */
export const LABELED_MODELS: readonly ModelName[] = ['supervised', 'semi_supervised'];

/**
 * A model that needs labels refuses a data set without them; the supervised model needs two classes
 * or more, and a prior with as many modes as the data set has classes (checkPriorModes).
 */
function checkModelData(cfg: AAEConfig): void {
  const K = classCountOf(cfg);
  const data = cfg.dataset ?? 'mnist';
  if (K === 0 && LABELED_MODELS.includes(cfg.model)) {
    throw new ConfigError(`the ${cfg.model.replace('_', '-')} model needs labels, and the data set ${data} has none; use --model unsupervised (or clustering), which train on unlabeled images`);
  }
  if (cfg.model === 'supervised' && K < 2) throw new ConfigError(`the supervised model needs 2 classes or more (its prior has a mode per class), the data set ${data} has ${K}`);
  // Classes named by the config: its prior's modes must match them (else configForData checks them, once the data set is known).
  if (cfg.model === 'supervised' && cfg.classNames !== undefined) checkPriorModes(cfg.prior, K);
}

/** Throws a ConfigError naming the field, the bad value and the valid choices. */
export function validateConfig(cfg: AAEConfig): void {
  if (!(MODEL_NAMES as readonly string[]).includes(cfg.model)) {
    throw new ConfigError(`unknown model "${cfg.model}"; valid choices: ${MODEL_NAMES.join(', ')}`);
  }
  if (typeof cfg.prior !== 'string') {
    throw new ConfigError(`prior must be a prior's name (a string), got ${typeof cfg.prior}; a Prior object: makeConfig({ prior }) or registerPrior(it), then its name`);
  }
  checkPositiveInt('nZ', cfg.nZ, 1000);
  checkPrior(cfg.prior, cfg.nZ, cfg.model === 'supervised');
  checkHidden('nHidden', cfg.nHidden);
  if (cfg.hiddenPerNetwork === null || typeof cfg.hiddenPerNetwork !== 'object' || Array.isArray(cfg.hiddenPerNetwork)) {
    throw new ConfigError(`hiddenPerNetwork must be an object such as { encoder: [500, 250] }, got ${JSON.stringify(cfg.hiddenPerNetwork)}`);
  }
  for (const [k, v] of Object.entries(cfg.hiddenPerNetwork)) {
    if (!(SIZED_NETWORKS as readonly string[]).includes(k)) throw new ConfigError(`hiddenPerNetwork: unknown network "${k}"; valid: ${SIZED_NETWORKS.join(', ')}`);
    if (v !== undefined) checkHidden(`hiddenPerNetwork.${k}`, v);
  }
  if (!(NETWORK_NAMES as readonly string[]).includes(cfg.networks)) {
    throw new ConfigError(`unknown networks "${cfg.networks}"; valid choices: ${NETWORK_NAMES.join(', ')}`);
  }
  checkPositiveInt('batchSize', cfg.batchSize, 5000);
  if (!(cfg.keepProb > 0 && cfg.keepProb <= 1)) throw new ConfigError(`keepProb must be in (0, 1], got ${cfg.keepProb}`);
  if (!(cfg.noiseStd >= 0 && Number.isFinite(cfg.noiseStd))) throw new ConfigError(`noiseStd must be >= 0, got ${cfg.noiseStd}`);
  checkPositiveInt('clusters', cfg.clusters, 1000);
  if (!(cfg.headConsistency >= 0 && cfg.headConsistency <= 100)) throw new ConfigError(`headConsistency must be from 0 to 100, got ${cfg.headConsistency}`);
  if (!(cfg.consistencyRotate >= 0 && cfg.consistencyRotate <= 90)) throw new ConfigError(`consistencyRotate must be from 0 to 90 (degrees), got ${cfg.consistencyRotate}`);
  if (!(cfg.consistencyScale >= 0 && cfg.consistencyScale < 1)) throw new ConfigError(`consistencyScale must be from 0 to below 1, got ${cfg.consistencyScale}`);
  if (!(cfg.headBalance >= 0 && cfg.headBalance <= 100)) throw new ConfigError(`headBalance must be from 0 to 100, got ${cfg.headBalance}`);
  if (cfg.model === 'clustering' && cfg.clusters < 2) throw new ConfigError(`clusters must be at least 2 for the clustering model, got ${cfg.clusters}`);
  validateTrainConfig(cfg);
  validateDataConfig(cfg);
  checkModelData(cfg);
}

/** Throws a ConfigError unless v is a valid HiddenSizes, naming the field. */
export function checkHidden(field: string, v: unknown): void {
  const unit = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 1 && x <= MAX_HIDDEN_UNITS;
  if (unit(v)) return;
  if (Array.isArray(v) && v.length >= 1 && v.length <= MAX_HIDDEN_LAYERS && v.every(unit)) return;
  throw new ConfigError(
    `${field} must be an integer from 1 to ${MAX_HIDDEN_UNITS} (two hidden layers of that many units) or a list of 1 to ${MAX_HIDDEN_LAYERS} such integers (the units of each layer), got ${Array.isArray(v) ? `[${v.join(', ')}]` : String(v)}`,
  );
}

/** The hidden layers' units of the built-in MLP of `network`: its hiddenPerNetwork entry, else nHidden. */
export function hiddenSizes(cfg: Pick<AAEConfig, 'nHidden' | 'hiddenPerNetwork'>, network: SizedNetwork): number[] {
  const h = cfg.hiddenPerNetwork?.[network] ?? cfg.nHidden;
  return typeof h === 'number' ? [h, h] : [...h];
}

/** Hidden sizes as text, one form per network: `1000` (also for [1000, 1000]), or `500,250`. */
export function hiddenText(h: HiddenSizes): string {
  if (typeof h === 'number') return String(h);
  return h.length === 2 && h[0] === h[1] ? String(h[0]) : h.join(',');
}
