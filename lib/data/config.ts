/**
 * The data fields of a config: which training images, which labeled examples and how the labeled
 * batches are fed. lib/models/config.ts adds them to the experiment's config (AAEConfig).
 */
import { ConfigError, checkPositiveInt } from '../errors';

/** The largest labeledShift (pixels per axis) a config accepts. */
export const MAX_LABELED_SHIFT = 8;
export const LABELED_SOURCES = ['validation', 'balanced'] as const;
export type LabeledSource = (typeof LABELED_SOURCES)[number];

export interface DataConfig {
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

/** Throws a ConfigError naming the data field, the bad value and the valid choices. */
export function validateDataConfig(cfg: DataConfig): void {
  if (!(cfg.labeledNoiseStd >= 0 && Number.isFinite(cfg.labeledNoiseStd))) {
    throw new ConfigError(`labeledNoiseStd must be >= 0, got ${cfg.labeledNoiseStd}`);
  }
  if (!Number.isInteger(cfg.labeledShift) || cfg.labeledShift < 0 || cfg.labeledShift > MAX_LABELED_SHIFT) {
    throw new ConfigError(`labeledShift must be an integer from 0 to ${MAX_LABELED_SHIFT} (pixels), got ${cfg.labeledShift}`);
  }
  if (!(LABELED_SOURCES as readonly string[]).includes(cfg.labeledFrom)) {
    throw new ConfigError(`unknown labeledFrom "${cfg.labeledFrom}"; valid choices: ${LABELED_SOURCES.join(', ')}`);
  }
  const maxLabeled = cfg.labeledFrom === 'validation' ? 5000 : 55000;
  checkPositiveInt('nLabeled (labeled examples)', cfg.nLabeled, maxLabeled);
  if (cfg.labeledFrom === 'balanced' && cfg.nLabeled % 10 !== 0) {
    throw new ConfigError(`nLabeled must be a multiple of 10 for a balanced labeled subset, got ${cfg.nLabeled}`);
  }
  if (!Number.isInteger(cfg.trainSize) || cfg.trainSize < 0 || cfg.trainSize > 55000) {
    throw new ConfigError(`trainSize must be an integer from 0 (all) to 55000, got ${cfg.trainSize}`);
  }
  if (cfg.trainSize > 0 && cfg.trainSize < cfg.batchSize) {
    throw new ConfigError(`trainSize ${cfg.trainSize} is smaller than the batch size ${cfg.batchSize}`);
  }
}
