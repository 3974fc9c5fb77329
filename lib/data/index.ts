// Data sets: MNIST, Fashion-MNIST, IDX folders, CIFAR-10, arrays from code; their splits and batches.
export * from './mnist';
export * from './dataset';
export * from './sources';
export { balancedSubset, oneHot, shiftImages } from './batches';
