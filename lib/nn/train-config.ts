/**
 * The training fields of a config: how long, with which optimizer, at which learning rates and from
 * which seed. lib/models/config.ts adds them to the experiment's config (AAEConfig), as it adds the
 * data fields (lib/data/config.ts). They sit in the nn layer, below models, because the models build
 * their phases' optimizers and losses from them (models may not import train; see ARCHITECTURE.md);
 * lib/train/ reads them (the schedule in lib/train/schedule.ts, the loop in lib/train/trainer.ts).
 */
import { ConfigError, checkPositiveInt } from '../errors';
import type { LrStep } from './optimizer';

export const OPTIMIZER_NAMES = ['adam', 'momentum'] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];
/**
 * How the learning rate changes over a run: 'step' (the rates of lrSchedule, each from its epoch on:
 * the original) or 'cosine' (from lrSchedule's first rate down along half a cosine to 0 over the
 * run's `epochs`: epoch e of E learns at lr * (1 + cos(pi * e / E)) / 2; the schedule's later steps
 * are not used).
 */
export const LR_DECAYS = ['step', 'cosine'] as const;
export type LrDecay = (typeof LR_DECAYS)[number];
export const RECONSTRUCTION_LOSSES = ['mean', 'sum'] as const;
export type ReconstructionLoss = (typeof RECONSTRUCTION_LOSSES)[number];
/** The largest seed a config accepts (the CLIs' --seed range). */
export const MAX_SEED = 2 ** 31 - 1;

export interface TrainConfig {
  epochs: number;
  /**
   * Validation and test metrics after every N-th epoch and the last (1: every epoch, the original);
   * the other epochs' history rows hold the train losses only.
   */
  evalEvery: number;
  /**
   * Learning rate per epoch: the reconstruction phase's; the other phases learn at this times their
   * factor (dLrFactor, generatorLrFactor, crossEntropyLrFactor).
   */
  lrSchedule: LrStep[];
  /** 'step': lrSchedule as it is; 'cosine': its first rate decaying along half a cosine over `epochs` (LR_DECAYS). */
  lrDecay: LrDecay;
  /** The discriminators learn at lr * dLrFactor (the original: lr / 5). */
  dLrFactor: number;
  /** The generator phase learns at lr * generatorLrFactor (the original: 1). */
  generatorLrFactor: number;
  /** Semi-supervised: the cross-entropy phase learns at lr * crossEntropyLrFactor (the original: 1). */
  crossEntropyLrFactor: number;
  /**
   * Optimizer of every phase: 'adam' (TensorFlow 1's Adam, the original) or 'momentum' (SGD with
   * momentum, the AAE paper).
   */
  optimizer: OptimizerName;
  /**
   * Reconstruction cost: 'mean' squared error over pixels (the original) or the squared error
   * summed over the 784 pixels ('sum', mean over the batch), the scale the paper-sgd rates need.
   */
  reconstructionLoss: ReconstructionLoss;
  /** 'momentum' only: momentum of the reconstruction and cross-entropy phases. */
  momentum: number;
  /** 'momentum' only: momentum of the regularization phases (discriminators and generator). */
  regularizationMomentum: number;
  /**
   * Decay of a running average of the encoder's and decoder's weights, updated after every
   * training step (lib/nn/average.ts; the Adam paper's temporal averaging); training's validation
   * and test metrics, the figures and the Experiment's encode, classify and decode use the averaged
   * weights. 0 = none (the original).
   */
  weightAverage: number;
  seed: number;
}

/** Throws a ConfigError naming the training field, the bad value and the valid choices. */
export function validateTrainConfig(cfg: TrainConfig): void {
  checkPositiveInt('epochs', cfg.epochs, 100000);
  checkPositiveInt('evalEvery', cfg.evalEvery, 100000);
  for (const k of ['dLrFactor', 'generatorLrFactor', 'crossEntropyLrFactor'] as const) {
    if (!(cfg[k] > 0 && Number.isFinite(cfg[k]))) throw new ConfigError(`${k} must be > 0, got ${cfg[k]}`);
  }
  if (!(OPTIMIZER_NAMES as readonly string[]).includes(cfg.optimizer)) {
    throw new ConfigError(`unknown optimizer "${cfg.optimizer}"; valid choices: ${OPTIMIZER_NAMES.join(', ')}`);
  }
  if (!(LR_DECAYS as readonly string[]).includes(cfg.lrDecay)) {
    throw new ConfigError(`unknown lrDecay "${cfg.lrDecay}"; valid choices: ${LR_DECAYS.join(', ')}`);
  }
  if (!(RECONSTRUCTION_LOSSES as readonly string[]).includes(cfg.reconstructionLoss)) {
    throw new ConfigError(`unknown reconstructionLoss "${cfg.reconstructionLoss}"; valid choices: ${RECONSTRUCTION_LOSSES.join(', ')}`);
  }
  for (const k of ['momentum', 'regularizationMomentum'] as const) {
    if (!(cfg[k] >= 0 && cfg[k] < 1)) throw new ConfigError(`${k} must be in [0, 1), got ${cfg[k]}`);
  }
  if (!(cfg.weightAverage === 0 || (cfg.weightAverage > 0 && cfg.weightAverage < 1))) {
    throw new ConfigError(`weightAverage must be 0 (none) or a decay in (0, 1), got ${cfg.weightAverage}`);
  }
  if (!Array.isArray(cfg.lrSchedule) || cfg.lrSchedule.length === 0 || cfg.lrSchedule[0].from !== 0) {
    throw new ConfigError('lrSchedule must be a non-empty list of {from, lr} starting at from = 0');
  }
  for (const s of cfg.lrSchedule) {
    if (!(s.lr > 0 && Number.isFinite(s.lr))) throw new ConfigError(`learning rate must be > 0, got ${s.lr}`);
  }
  if (!Number.isInteger(cfg.seed) || cfg.seed < 0 || cfg.seed > MAX_SEED) {
    throw new ConfigError(`seed must be an integer from 0 to ${MAX_SEED}, got ${String(cfg.seed)}`);
  }
}
