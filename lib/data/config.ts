/**
 * The data fields of a config: which training images, which labeled examples and how the labeled
 * batches are fed. lib/models/config.ts adds them to the experiment's config (AAEConfig).
 */
import { ConfigError, checkPositiveInt } from '../errors';
import { DIGIT_NAMES, MNIST_SHAPE, checkShape, pixelsOf, type ImageShape } from './dataset';

/** The largest labeledShift (pixels per axis) a config accepts. */
export const MAX_LABELED_SHIFT = 8;
export const LABELED_SOURCES = ['validation', 'balanced'] as const;
export type LabeledSource = (typeof LABELED_SOURCES)[number];

export interface DataConfig {
  /**
   * The data set (absent: 'mnist'): 'fashion-mnist', 'cifar10:DIR', a folder of IDX files, or the name
   * of a data set made from arrays (lib/data/sources.ts, dataset.ts). Set with imageShape and
   * classNames by configForData (lib/train/setup.ts); MNIST's configs have none of the three, as
   * before they existed.
   */
  dataset?: string;
  /** [height, width, channels] of the images (absent: MNIST's [28, 28, 1]). */
  imageShape?: [number, number, number];
  /** The data set's class names, K = their number (absent: MNIST's '0'-'9'; empty: no labels). */
  classNames?: string[];
  batchSize: number;
  /**
   * Semi-supervised: std of the Gaussian noise added to the labeled images of the cross-entropy
   * phase (the original: 0, clean labeled images).
   */
  labeledNoiseStd: number;
  /**
   * Semi-supervised: the largest random translation, in whole pixels along each axis, of the labeled
   * images of the cross-entropy phase (each image moved by its own offset, uniform in
   * [-labeledShift, labeledShift] per axis, before the labeled noise; the original: 0, unmoved).
   */
  labeledShift: number;
  /**
   * Semi-supervised: the largest turn (degrees) of the labeled images of the cross-entropy phase,
   * each image its own uniform angle in [-labeledRotate, labeledRotate]. With labeledScale, 0 for
   * both moves them by whole pixels only (labeledShift); otherwise each image is turned, scaled and
   * moved (by up to ±labeledShift px, not only whole ones) and resampled bilinearly (warpImages).
   */
  labeledRotate: number;
  /** Semi-supervised: the largest relative scaling of the labeled images, each by its own factor in [1 - s, 1 + s] (see labeledRotate). */
  labeledScale: number;
  /**
   * Semi-supervised: the strength (alpha, pixels) of an elastic distortion of the labeled images of
   * the cross-entropy phase (0: none): each image's own random displacement field, smoothed by a
   * Gaussian of labeledElasticSigma pixels (Simard et al., 2003), on top of the turn, scaling and
   * move (warpImages).
   */
  labeledElastic: number;
  /** Semi-supervised: the width (pixels) of the Gaussian that smooths the labeled images' elastic distortion (see labeledElastic). */
  labeledElasticSigma: number;
  /** Semi-supervised: number of labeled examples. */
  nLabeled: number;
  /**
   * Semi-supervised: where the labeled examples come from. 'validation' = the first nLabeled of the
   * 5,000 validation images (the original); 'balanced' = nLabeled/10 per class drawn (seeded) from
   * the 55,000 training images.
   */
  labeledFrom: LabeledSource;
  /** Use only the first N training images (0 = all 55,000): for quick runs and tests. */
  trainSize: number;
  /** Shuffle the training set every epoch (the original takes batches in order). */
  shuffle: boolean;
}

/** The largest split size (trainSize, nLabeled) a config of another data set than MNIST accepts. */
export const MAX_SET_SIZE = 10_000_000;

/** The config fields a preset leaves out (absent: MNIST's); makeConfig accepts them as overrides. */
export const OPTIONAL_DATA_FIELDS: readonly string[] = ['dataset', 'imageShape', 'classNames'];

/** The image shape of a config's data set. */
export function imageShapeOf(cfg: Pick<DataConfig, 'imageShape'>): ImageShape {
  const s = cfg.imageShape;
  return s ? { height: s[0], width: s[1], channels: s[2] } : { ...MNIST_SHAPE };
}

/** Values per image of a config's data set (MNIST: 784). */
export function pixelsOfConfig(cfg: Pick<DataConfig, 'imageShape'>): number {
  return pixelsOf(imageShapeOf(cfg));
}

/** The class names of a config's data set (MNIST: '0'-'9'; empty: no labels). */
export function classNamesOf(cfg: Pick<DataConfig, 'classNames'>): readonly string[] {
  return cfg.classNames ?? DIGIT_NAMES;
}

/** The number of classes of a config's data set (MNIST: 10; 0: no labels). */
export function classCountOf(cfg: Pick<DataConfig, 'classNames'>): number {
  return classNamesOf(cfg).length;
}

/**
 * The config's data fields for a data set: none for MNIST (its configs stay as they were), else
 * its name, and its shape and class names where they differ from MNIST's.
 */
export function datasetFields(d: { name: string; shape: ImageShape; classNames: readonly string[] }): Pick<DataConfig, 'dataset' | 'imageShape' | 'classNames'> {
  const out: Pick<DataConfig, 'dataset' | 'imageShape' | 'classNames'> = {};
  if (d.name !== 'mnist') out.dataset = d.name;
  const s = d.shape;
  if (s.height !== MNIST_SHAPE.height || s.width !== MNIST_SHAPE.width || s.channels !== MNIST_SHAPE.channels) out.imageShape = [s.height, s.width, s.channels];
  if (d.classNames.length !== DIGIT_NAMES.length || d.classNames.some((c, k) => c !== DIGIT_NAMES[k])) out.classNames = [...d.classNames];
  return out;
}

/** Throws a ConfigError naming the data field, the bad value and the valid choices. */
export function validateDataConfig(cfg: DataConfig): void {
  if (cfg.dataset !== undefined && (typeof cfg.dataset !== 'string' || cfg.dataset === '')) {
    throw new ConfigError(`dataset must be a data set name or folder, got ${JSON.stringify(cfg.dataset)}`);
  }
  if (cfg.imageShape !== undefined) {
    if (!Array.isArray(cfg.imageShape) || cfg.imageShape.length !== 3) throw new ConfigError(`imageShape must be [height, width, channels], got ${JSON.stringify(cfg.imageShape)}`);
    checkShape(imageShapeOf(cfg), 'imageShape');
  }
  if (cfg.classNames !== undefined && (!Array.isArray(cfg.classNames) || cfg.classNames.length > 256 || cfg.classNames.some((c) => typeof c !== 'string'))) {
    throw new ConfigError(`classNames must be up to 256 strings (empty: no labels), got ${JSON.stringify(cfg.classNames)}`);
  }
  if (!(cfg.labeledNoiseStd >= 0 && Number.isFinite(cfg.labeledNoiseStd))) {
    throw new ConfigError(`labeledNoiseStd must be >= 0, got ${cfg.labeledNoiseStd}`);
  }
  if (!Number.isInteger(cfg.labeledShift) || cfg.labeledShift < 0 || cfg.labeledShift > MAX_LABELED_SHIFT) {
    throw new ConfigError(`labeledShift must be an integer from 0 to ${MAX_LABELED_SHIFT} (pixels), got ${cfg.labeledShift}`);
  }
  if (!(cfg.labeledRotate >= 0 && cfg.labeledRotate <= 90)) throw new ConfigError(`labeledRotate must be from 0 to 90 (degrees), got ${cfg.labeledRotate}`);
  if (!(cfg.labeledScale >= 0 && cfg.labeledScale < 1)) throw new ConfigError(`labeledScale must be from 0 to below 1, got ${cfg.labeledScale}`);
  if (!(cfg.labeledElastic >= 0 && cfg.labeledElastic <= 100)) throw new ConfigError(`labeledElastic must be from 0 to 100 (pixels), got ${cfg.labeledElastic}`);
  if (!(cfg.labeledElasticSigma >= 0.5 && cfg.labeledElasticSigma <= 20)) throw new ConfigError(`labeledElasticSigma must be from 0.5 to 20 (pixels), got ${cfg.labeledElasticSigma}`);
  if (!(LABELED_SOURCES as readonly string[]).includes(cfg.labeledFrom)) {
    throw new ConfigError(`unknown labeledFrom "${cfg.labeledFrom}"; valid choices: ${LABELED_SOURCES.join(', ')}`);
  }
  // MNIST's sizes are known here; another data set's are checked against its splits when the
  // experiment is created (checkDataFits, lib/train/setup.ts).
  const mnist = cfg.dataset === undefined;
  const maxLabeled = !mnist ? MAX_SET_SIZE : cfg.labeledFrom === 'validation' ? 5000 : 55000;
  checkPositiveInt('nLabeled (labeled examples)', cfg.nLabeled, maxLabeled);
  if (mnist && cfg.labeledFrom === 'balanced' && cfg.nLabeled % 10 !== 0) {
    throw new ConfigError(`nLabeled must be a multiple of 10 for a balanced labeled subset, got ${cfg.nLabeled}`);
  }
  const maxTrain = mnist ? 55000 : MAX_SET_SIZE;
  if (!Number.isInteger(cfg.trainSize) || cfg.trainSize < 0 || cfg.trainSize > maxTrain) {
    throw new ConfigError(`trainSize must be an integer from 0 (all) to ${maxTrain}, got ${cfg.trainSize}`);
  }
  if (cfg.trainSize > 0 && cfg.trainSize < cfg.batchSize) {
    throw new ConfigError(`trainSize ${cfg.trainSize} is smaller than the batch size ${cfg.batchSize}`);
  }
}
