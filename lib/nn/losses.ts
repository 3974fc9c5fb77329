/**
 * The original's losses, written out as TensorFlow defines them. Each returns a scalar mean. On
 * wasm-blas the MSE and the sigmoid cross-entropy are single kernels (lib/backend/kernels.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { nativeLosses } from '../backend';
import type { Dropout } from './layers';
import type { Network } from './network';

/** tf.reduce_mean(tf.squared_difference(pred, target)). */
export function meanSquaredError(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  const native = nativeLosses();
  if (native && pred.dtype === 'float32' && target.dtype === 'float32' && tf.util.arraysEqual(pred.shape, target.shape)) return native.mse(pred, target);
  return tf.tidy(() => tf.mean(tf.squaredDifference(pred, target)));
}

/**
 * tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(logits, labels = target)) for a constant
 * target of all ones (1) or all zeros (0), in TensorFlow's stable form
 * max(x, 0) - x * z + log(1 + exp(-|x|)).
 */
export function sigmoidCrossEntropy(logits: tf.Tensor, target: 0 | 1): tf.Scalar {
  const native = nativeLosses();
  if (native && logits.dtype === 'float32') return native.sigmoidXent(logits, target);
  return tf.tidy(() => {
    const stable = tf.add(tf.relu(logits), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
    return tf.mean(target === 1 ? tf.sub(stable, logits) : stable);
  });
}

/** tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(logits, labels = onehot)). */
export function softmaxCrossEntropy(logits: tf.Tensor2D, onehot: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.neg(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)), 1))));
}

/**
 * log K minus the entropy of the mean over the rows of softmax(logits) (n x K): 0 when the rows
 * together use the K classes equally, log K when they all put their mass on one class.
 */
export function marginalEntropyGap(logits: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const mean = tf.mean(tf.softmax(logits), 0);
    const entropy = tf.neg(tf.sum(tf.mul(mean, tf.log(tf.add(mean, 1e-8)))));
    return tf.sub(Math.log(logits.shape[1]), entropy);
  });
}

/**
 * A discriminator's loss: sigmoid cross-entropy of its logits on `real` rows against 1 plus on
 * `fake` rows against 0 (each a mean), as the original's two separate evaluations, computed in one
 * pass over the rows of both (one product per layer instead of two; dropout stays independent per
 * value).
 */
export function discriminatorLoss(d: Network, real: tf.Tensor2D, fake: tf.Tensor2D, drop: Dropout | null): tf.Scalar {
  const logits = d.apply(tf.concat([real, fake], 0), drop, true);
  const [r, f] = tf.split(logits, [real.shape[0], fake.shape[0]], 0);
  return tf.add(sigmoidCrossEntropy(r, 1), sigmoidCrossEntropy(f, 0));
}
