/**
 * An experiment = config + data + model + trainer. Used by the CLI and the notebooks alike.
 */
import { validateConfig, type AAEConfig } from '../models/config';
import { createModel, type AAEModel, type NetworkSet } from '../models';
import { loadMnist, select, subset, type Mnist } from '../data/mnist';
import { balancedSubset } from '../data/batches';
import { Rng } from '../random';
import { Trainer, type TrainData } from './trainer';
import { loadCheckpoint } from './checkpoint';
import { ConfigError } from '../errors';

/**
 * The data of a config: the original's split; for the semi-supervised model the labeled examples
 * are the first nLabeled validation images (labeledFrom 'validation', the original) or a balanced,
 * seeded subset of the training images whose remainder is the unlabeled training set ('balanced');
 * nLabeled = the training set's size means all labels (labeled and unlabeled = the whole set).
 * The validation split is the 5,000 validation images less any that are labeled examples: it
 * never overlaps the training or labeled images, and it is where settings are chosen.
 */
export function prepareData(cfg: AAEConfig, mnist: Mnist = loadMnist()): TrainData {
  validateConfig(cfg);
  if (cfg.trainSize > 0 && cfg.trainSize < mnist.train.count) {
    mnist = { ...mnist, train: subset(mnist.train, 0, cfg.trainSize) };
  }
  const { validation } = mnist;
  // Neither the supervised nor the clustering model reads labeled batches.
  if (cfg.model !== 'semi_supervised') return { train: mnist.train, validation, test: mnist.test, labeled: null };
  if (cfg.labeledFrom === 'validation') {
    if (cfg.nLabeled > validation.count) {
      throw new ConfigError(`labels: ${cfg.nLabeled} labeled examples asked, the validation set has ${validation.count}`);
    }
    // The labeled examples are the first nLabeled validation images; the rest stay held out.
    return {
      train: mnist.train,
      validation: subset(validation, cfg.nLabeled, validation.count),
      test: mnist.test,
      labeled: subset(validation, 0, cfg.nLabeled),
    };
  }
  if (cfg.nLabeled > mnist.train.count) {
    throw new ConfigError(`labels: ${cfg.nLabeled} labeled examples asked, the training set has ${mnist.train.count}`);
  }
  if (cfg.nLabeled === mnist.train.count) {
    // "All labels": the whole training set is labeled (MNIST's classes are not of equal size, so
    // no balanced subset can be the whole set), and it is the unlabeled stream as well.
    return { train: mnist.train, validation, test: mnist.test, labeled: mnist.train };
  }
  const { labeled, unlabeled } = balancedSubset(mnist.train.labels, cfg.nLabeled, new Rng(cfg.seed + 2));
  return {
    train: unlabeled.length >= cfg.batchSize ? select(mnist.train, unlabeled) : mnist.train,
    validation,
    test: mnist.test,
    labeled: select(mnist.train, labeled),
  };
}

/** Epochs a trainer state has reached: the finished ones, plus the one it stopped in. */
export function epochsReached(t: { epoch: number; batch: number }): number {
  return t.epoch + (t.batch > 0 ? 1 : 0);
}

export interface Experiment {
  config: AAEConfig;
  data: TrainData;
  model: AAEModel;
  trainer: Trainer;
}

/** What an experiment is made with besides its config: the data and networks passed by value. */
export interface ExperimentOptions {
  /** The MNIST data (default: loadMnist()). */
  mnist?: Mnist;
  /** The result of prepareData(cfg, mnist), when already made. */
  data?: TrainData;
  /**
   * Networks by role (encoder, decoder, discriminator or zDiscriminator and yDiscriminator): any
   * tfjs-layers model, or a Network (lib/nn/network.ts); the roles left out get the config's built-in
   * networks. Checkpoints save their weights by name; loading one needs the same networks again.
   */
  networks?: NetworkSet;
}

/** The options of createExperiment and resumeExperiment: an options object, or (as before) the MNIST data. */
function experimentOptions(v: Mnist | ExperimentOptions | undefined, data: TrainData | undefined): ExperimentOptions {
  if (v === undefined || v === null) return { data };
  if (typeof v === 'object' && 'train' in v && 'test' in v) return { mnist: v as Mnist, data };
  const o = v as ExperimentOptions;
  return { ...o, data: o.data ?? data };
}

/**
 * A fresh experiment: model weights from Rng(seed), training stream from Rng(seed + 1). The second
 * argument is the MNIST data, or options: `{ mnist, data, networks }` (ExperimentOptions), e.g.
 * `createExperiment(cfg, { networks: { encoder: myLayersModel } })`.
 * `data`: the result of prepareData(cfg, mnist), when already made (the CLI checks it first).
 */
export function createExperiment(cfg: AAEConfig, options?: Mnist | ExperimentOptions, data?: TrainData): Experiment {
  validateConfig(cfg);
  const o = experimentOptions(options, data);
  const d = o.data ?? prepareData(cfg, o.mnist);
  const model = createModel(cfg, new Rng(cfg.seed), o.networks);
  return { config: cfg, data: d, model, trainer: new Trainer(model, d, new Rng(cfg.seed + 1)) };
}

/**
 * An experiment restored from a checkpoint, positioned to continue training exactly. `epochs`: a new
 * total; `data`: prepareData of the checkpoint's config, when already made. The third argument is the
 * MNIST data or options `{ mnist, data, networks }`: a checkpoint of networks passed by value needs
 * the same networks again.
 */
export function resumeExperiment(file: string, expect: Parameters<typeof loadCheckpoint>[1] = {}, options?: Mnist | ExperimentOptions, epochs?: number, data?: TrainData): Experiment {
  const o = experimentOptions(options, data);
  if (epochs !== undefined && (!Number.isInteger(epochs) || epochs < 1)) {
    throw new ConfigError(`resumeExperiment: epochs must be a positive integer (the new total), got ${String(epochs)}`);
  }
  const ck = loadCheckpoint(file, expect, epochs, o.networks);
  const cfg = ck.config;
  const trained = ck.trainer ? epochsReached(ck.trainer) : 0;
  if (epochs !== undefined && epochs < trained) {
    ck.model.dispose(true);
    throw new ConfigError(`resumeExperiment: epochs ${epochs} is below the ${trained} epochs the checkpoint ${file} has trained; valid: ${trained} or more`);
  }
  try {
    const d = o.data ?? prepareData(cfg, o.mnist);
    const trainer = new Trainer(ck.model, d, new Rng(cfg.seed + 1));
    if (ck.trainer) trainer.restore(ck.trainer);
    return { config: cfg, data: d, model: ck.model, trainer };
  } catch (e) {
    ck.model.dispose(true);
    throw e;
  }
}
