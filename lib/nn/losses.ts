/**
 * The original's losses, written out as TensorFlow defines them. Each returns a scalar mean. On
 * wasm-blas the MSE and the sigmoid cross-entropy are single kernels (lib/backend/native.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { nativeLosses } from '../backend';

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
