import { Rng } from '../random';
import type { AAEConfig } from './config';
import { validateConfig } from './config';
import { SupervisedAAE } from './supervised';
import { SemiSupervisedAAE } from './semi_supervised';

export * from './config';
export * from './base';
export { SupervisedAAE } from './supervised';
export { SemiSupervisedAAE } from './semi_supervised';

export type AAEModel = SupervisedAAE | SemiSupervisedAAE;

/** A freshly initialised model (weights from a generator seeded with config.seed). */
export function createModel(config: AAEConfig, rng = new Rng(config.seed)): AAEModel {
  validateConfig(config);
  return config.model === 'supervised' || config.model === 'unsupervised' ? new SupervisedAAE(config, rng) : new SemiSupervisedAAE(config, rng);
}
