import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
import { initBackend } from '../lib/backend';
import { floorMs, kernelFlops, matmulFlops } from '../bench/floor';

test('bench floor: FLOPs of a matrix product from its shapes, whatever the transposes; other kernels count 0', () => {
  const mm = (a: number[], out: number[], name = 'BatchMatMul') => ({ name, inputShapes: [a, null], outputShapes: [out] });
  assert.equal(kernelFlops(mm([2, 3, 4], [2, 3, 5])), 2 * 2 * 3 * 5 * 4);
  assert.equal(kernelFlops(mm([2, 4, 3], [2, 3, 5])), 2 * 2 * 3 * 5 * 4, 'transposed first input');
  assert.equal(kernelFlops(mm([100, 784], [100, 1000], 'AaeDense')), 2 * 100 * 1000 * 784);
  assert.equal(kernelFlops(mm([100, 784], [100, 784], 'Relu')), 0);
  assert.equal(floorMs(2e9, 100, 1e8, 10), 20 + 10);
});

test('bench floor: the FLOPs counted from a real profile of a product and its gradients', async () => {
  await initBackend();
  const a = tf.randomNormal([8, 16]);
  const b = tf.variable(tf.randomNormal([16, 4]));
  try {
    const fwd = await tf.profile(() => tf.matMul(a, b).dispose());
    assert.equal(matmulFlops(fwd.kernels), 2 * 8 * 4 * 16);
    // loss = sum(a·b): the gradient of b is aᵀ·dy, one more product of the same size
    const both = await tf.profile(() => tf.dispose(tf.variableGrads(() => tf.sum(tf.matMul(a, b)) as tf.Scalar, [b])));
    assert.equal(matmulFlops(both.kernels), 2 * (2 * 8 * 4 * 16));
  } finally {
    tf.dispose([a, b]);
  }
});
