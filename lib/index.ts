// aae-lab public API, re-exported by concept. Notebooks and user code import from here.
export * from './random';
export * from './data/mnist';
export * from './data/batches';
export * from './priors';
export * from './nn/layers';
export * from './nn/losses';
export * from './nn/adam';
export * from './models';
export * from './train/trainer';
export * from './train/checkpoint';
export * from './experiment';
export * from './backend';
export * from './notebook';
export * from './separation';
export * from './figures';
export * from './display';
