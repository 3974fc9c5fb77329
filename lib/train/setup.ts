/**
 * An experiment = config + data + model + trainer. Used by the CLI and the notebooks alike.
 */
import { validateConfig, type AAEConfig } from '../models/config';
import { createModel, type AAEModel, type NetworkSet } from '../models';
import { select, subset, type Mnist } from '../data/mnist';
import { balancedSubset } from '../data/batches';
import { classNamesOf, datasetFields, imageShapeOf } from '../data/config';
import { asDataset, checkDataset, classList, shapeText, type Dataset } from '../data/dataset';
import { loadDataset } from '../data/sources';
import { Rng } from '../random';
import { Trainer, type TrainData } from './trainer';
import { loadCheckpoint } from './checkpoint';
import { ConfigError } from '../errors';
import { requireBackend } from '../backend';
import { checkPriorModes } from '../priors';

/** Data sets already checked in full (checkDataset reads every value once per data set). */
const checked = new WeakSet<object>();

function dataText(c: Pick<AAEConfig, 'dataset' | 'imageShape' | 'classNames'>): string {
  const shape = shapeText(imageShapeOf(c));
  const names = classNamesOf(c);
  return `${c.dataset ?? 'mnist'} (${shape}, ${names.length === 0 ? 'no labels' : `${names.length} classes: ${classList(names)}`})`;
}

/**
 * The config for a data set: a config that names no data set (MNIST's, as presets make them), or
 * names this one without its shape and classes (as --dataset does), takes the data set's name,
 * shape and class names; any other must match them. Validated (so a model that needs labels
 * refuses a data set without, and the supervised model a prior without a mode per class).
 */
export function configForData(cfg: AAEConfig, data: Mnist | Dataset): AAEConfig {
  const d = asDataset(data);
  const fields = datasetFields(d);
  // Fields to take: none of shape and classes set, and no data set named or this one.
  const adopt = cfg.imageShape === undefined && cfg.classNames === undefined && (cfg.dataset === undefined || cfg.dataset === d.name);
  if (adopt) {
    cfg = { ...cfg, ...fields };
  } else {
    const mine = { dataset: cfg.dataset, imageShape: cfg.imageShape, classNames: cfg.classNames };
    const theirs = { dataset: fields.dataset, imageShape: fields.imageShape, classNames: fields.classNames };
    if (JSON.stringify(mine) !== JSON.stringify(theirs)) {
      throw new ConfigError(`the config is for the data set ${dataText(cfg)}; the data given is ${dataText(fields)}`);
    }
  }
  validateConfig(cfg);
  // The supervised model: a prior sample's mode is a class label, so the prior has a mode per class.
  if (cfg.model === 'supervised') checkPriorModes(cfg.prior, classNamesOf(cfg).length);
  return cfg;
}

/**
 * Checks that a config's sizes fit its data set, before any training: the training images (after
 * trainSize) fill a batch; the semi-supervised model's labeled examples exist (and, balanced, are a
 * multiple of the classes, each class holding its share: balancedSubset says which falls short).
 */
export function checkDataFits(cfg: AAEConfig, data: Mnist | Dataset): void {
  const d = asDataset(data);
  const name = d.name;
  if (d.name !== 'mnist' && cfg.trainSize > d.train.count) {
    throw new ConfigError(`trainSize ${cfg.trainSize} is larger than the training split of the data set ${name} (${d.train.count} images)`);
  }
  const trainCount = cfg.trainSize > 0 ? Math.min(cfg.trainSize, d.train.count) : d.train.count;
  if (trainCount < cfg.batchSize) {
    throw new ConfigError(`batch size ${cfg.batchSize} is larger than the training set (${trainCount} images)${d.name === 'mnist' ? '' : ` of the data set ${name}; give a smaller batch size`}`);
  }
  if (cfg.model !== 'semi_supervised' || d.name === 'mnist') return;
  const K = d.classNames.length;
  if (cfg.labeledFrom === 'balanced' && cfg.nLabeled % K !== 0) {
    throw new ConfigError(`labels: ${cfg.nLabeled} labeled examples are not a multiple of the ${K} classes of the data set ${name}; a balanced subset takes the same number of each`);
  }
}

/**
 * The data of a config: the original's split; for the semi-supervised model the labeled examples
 * are the first nLabeled validation images (labeledFrom 'validation', the original) or a balanced,
 * seeded subset of the training images whose remainder is the unlabeled training set ('balanced');
 * nLabeled = the training set's size means all labels (labeled and unlabeled = the whole set).
 * The validation split is the 5,000 validation images less any that are labeled examples: it
 * never overlaps the training or labeled images, and it is where settings are chosen.
 */
export function prepareData(cfg: AAEConfig, data: Mnist | Dataset = loadDataset(cfg.dataset)): TrainData {
  const d = asDataset(data);
  if (!checked.has(d.train)) {
    checkDataset(d);
    checked.add(d.train);
  }
  cfg = configForData(cfg, d);
  checkDataFits(cfg, d);
  let mnist: Mnist = d;
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
  const { labeled, unlabeled } = balancedSubset(mnist.train.labels, cfg.nLabeled, new Rng(cfg.seed + 2), d.classNames);
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
  /** The data set (default: the config's, loadDataset(cfg.dataset)); MNIST's arrays are one too. */
  mnist?: Mnist | Dataset;
  /** The result of prepareData(cfg, mnist), when already made. */
  data?: TrainData;
  /**
   * Networks by role (encoder, decoder, discriminator or zDiscriminator and yDiscriminator): any
   * tfjs-layers model, or a Network (lib/nn/network.ts); the roles left out get the config's built-in
   * networks. Checkpoints save their weights by name; loading one needs the same networks again.
   */
  networks?: NetworkSet;
}

/** The options of createExperiment and resumeExperiment: an options object, or (as before) the data set. */
function experimentOptions(v: Mnist | Dataset | ExperimentOptions | undefined, data: TrainData | undefined): ExperimentOptions {
  if (v === undefined || v === null) return { data };
  if (typeof v === 'object' && 'train' in v && 'test' in v) return { mnist: v as Mnist | Dataset, data };
  const o = v as ExperimentOptions;
  return { ...o, data: o.data ?? data };
}

/**
/**
 * A fresh experiment: model weights from Rng(seed), training stream from Rng(seed + 1). The second
 * argument is the data set (default: the config's, loadDataset(cfg.dataset)) or options
 * `{ mnist, data, networks }` (ExperimentOptions), e.g.
 * `createExperiment(cfg, { networks: { encoder: myLayersModel } })`. A config that names no data set
 * takes the data set's shape and classes (configForData). `data`: the result of prepareData(cfg,
 * mnist), when already made (the CLI checks it first).
 */
export function createExperiment(cfg: AAEConfig, options?: Mnist | Dataset | ExperimentOptions, data?: TrainData): Experiment {
  requireBackend('createExperiment');
  validateConfig(cfg);
  const o = experimentOptions(options, data);
  let d = o.data;
  if (!d) {
    const set = o.mnist ?? loadDataset(cfg.dataset);
    cfg = configForData(cfg, set);
    d = prepareData(cfg, set);
  }
  const model = createModel(cfg, new Rng(cfg.seed), o.networks);
  return { config: cfg, data: d, model, trainer: new Trainer(model, d, new Rng(cfg.seed + 1)) };
}

/**
 * An experiment restored from a checkpoint, positioned to continue training exactly. `epochs`: a new
 * total; `data`: prepareData of the checkpoint's config, when already made. The third argument is the
 * MNIST data or options `{ mnist, data, networks }`: a checkpoint of networks passed by value needs
 * the same networks again.
 */
export function resumeExperiment(file: string, expect: Parameters<typeof loadCheckpoint>[1] = {}, options?: Mnist | Dataset | ExperimentOptions, epochs?: number, data?: TrainData): Experiment {
  requireBackend('resumeExperiment');
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
