import { Rng } from '../random';
import type { AAEConfig } from './config';
import { validateConfig } from './config';
import type { NetworkSet } from './base';
import { SupervisedAAE } from './supervised';
import { SemiSupervisedAAE } from './semi_supervised';

export * from './config';
export * from './base';
export { SupervisedAAE } from './supervised';
export { SemiSupervisedAAE } from './semi_supervised';

export type AAEModel = SupervisedAAE | SemiSupervisedAAE;

/**
 * A freshly initialised model (weights from a generator seeded with config.seed). `networks`:
 * networks passed by value (tfjs-layers models or Networks) for some roles; the others are built in.
 */
export function createModel(config: AAEConfig, rng = new Rng(config.seed), networks?: NetworkSet): AAEModel {
  validateConfig(config);
  const model = config.model === 'supervised' || config.model === 'unsupervised' ? new SupervisedAAE(config, rng, networks) : new SemiSupervisedAAE(config, rng, networks);
  model.startWeightAverage();
  return model;
}
