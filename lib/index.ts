/**
 * aae-lab's public API. At the top: what it takes to train and use an AAE (`experiment`, `load`,
 * data sets, configs, the shared tfjs engine as `tf`). Under namespaces: the parts to build on
 * (`data`, `priors`, `nets`, `models`, `train`, `metrics`, `results`, `figures`, `display`,
 * `notebook`, `backend`). The backend's native kernels, the CLI and the settings table are internal.
 */
export {
  experiment,
  load,
  ready,
  images,
  Experiment,
  type ExperimentSettings,
  type ExperimentOptions,
  type LoadOptions,
  type FitOptions,
  type FitResult,
  type Samples,
  type ModelOf,
  type NetworkChoice,
  type NetworkChoices,
} from './api/experiment';
export { initBackend } from './backend';
export { loadDataset } from './data/sources';
export { datasetFromArrays, type Dataset, type ImageShape } from './data/dataset';
export { DataError, type ImageSet } from './data/mnist';
export { makeConfig, type AAEConfig, type ModelName, type PresetName } from './models/config';
export type { Prior, PriorSample } from './priors';
export type { Network } from './nn/network';
export type { EpochMetrics } from './train/trainer';
export { CheckpointError } from './train/checkpoint';
export { ConfigError } from './errors';
export { Rng } from './random';
/** TensorFlow.js (core, layers and the rest), the same engine the library runs on: build networks with `tf.layers`. */
export * as tf from '@tensorflow/tfjs';

export * as data from './data';
export * as priors from './priors';
export * as nets from './nn';
export * as models from './models';
export * as train from './train';
export * as metrics from './eval';
export * as results from './eval/results';
export * as figures from './figures';
export * as display from './api/display';
export * as notebook from './api/notebook';
export * as backend from './api/backend';
