// Networks and what trains them: the Network interface, tfjs-layers models as networks, the built-in
// MLPs, the shipped conv encoder and decoder, losses and the optimizers.
export * from './network';
export * from './nets';
export * from './layers';
export * from './losses';
export * from './adam';
export * from './momentum';
export * from './optimizer';
