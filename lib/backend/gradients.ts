/**
 * The project's own kernels' names and their gradients: AaeDense (a dense layer in one kernel) and
 * the loss kernels AaeSigmoidXent and AaeMse (./kernels.ts runs them on the wasm-blas backend).
 * The gradients are registered with tfjs once, when the native kernels are first installed.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The project's own kernel names (registered for the wasm backend only while the native kernels are installed). */
export const DENSE = 'AaeDense';
export const DENSE_GRAD = 'AaeDenseGrad';

/** Attributes of AaeDense: the activation and, for relu, dropout's keep probability and seed (keep 1: no dropout). */
export interface DenseAttrs {
  activation: 'linear' | 'relu' | 'sigmoid';
  keep: number;
  seed: number;
}

/**
 * Loss kernels: each loss and its gradient is one kernel instead of the 8 to 30 small tfjs kernels
 * of the op-by-op form (on a batch of 100 these small kernels cost more in bookkeeping than in
 * arithmetic). Written in JavaScript over the wasm heap; sums in double precision.
 *   AaeSigmoidXent {logits}, attrs {target: 0 | 1}: mean of max(x, 0) - x z + log(1 + exp(-|x|));
 *     gradient (sigmoid(x) - z) / N.
 *   AaeMse {pred, target}: mean of (pred - target)^2; gradient 2 (pred - target) / N (and its negative).
 */
export const SIGMOID_XENT = 'AaeSigmoidXent';
export const SIGMOID_XENT_GRAD = 'AaeSigmoidXentGrad';
export const MSE = 'AaeMse';
export const MSE_GRAD = 'AaeMseGrad';

let registered = false;

/** Registers the gradients of the project's own kernels with tfjs (once; later calls do nothing). */
export function registerNativeGradients(): void {
  if (registered) return;
  registered = true;
  tf.registerGradient({
    kernelName: DENSE,
    inputsToSave: ['x', 'w'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, w, y] = saved;
      const a = attrs as unknown as DenseAttrs;
      const dyt = dy as tf.Tensor;
      const [dz, db] = a.activation === 'linear' ? [dyt, null] : (tf.engine().runKernel(DENSE_GRAD, { dy: dyt, y }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[]);
      // Lazy: tfjs asks only for the gradients of inputs that depend on the differentiated variables.
      return {
        x: () => tf.matMul(dz, w, false, true),
        w: () => tf.matMul(x, dz, true, false),
        b: () => db ?? tf.sum(dz, 0),
      };
    },
  });

  tf.registerGradient({
    kernelName: SIGMOID_XENT,
    inputsToSave: ['logits'],
    gradFunc: (dy, saved, attrs) => ({
      logits: () => tf.engine().runKernel(SIGMOID_XENT_GRAD, { dy: dy as tf.Tensor, logits: saved[0] }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor,
    }),
  });

  tf.registerGradient({
    kernelName: MSE,
    inputsToSave: ['pred', 'target'],
    gradFunc: (dy, saved) => {
      const grad = (negate: boolean) => () => tf.engine().runKernel(MSE_GRAD, { dy: dy as tf.Tensor, pred: saved[0], target: saved[1] }, { negate }) as tf.Tensor;
      return { pred: grad(false), target: grad(true) };
    },
  });
}
