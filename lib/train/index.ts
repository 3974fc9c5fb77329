// Training: the trainer and its callbacks, the learning-rate schedule, checkpoints, experiments.
export * from './trainer';
export * from './schedule';
export * from './checkpoint';
export * from './setup';
