/**
 * Adam exactly as TensorFlow 1's AdamOptimizer (beta1 0.9, beta2 0.999, epsilon 1e-8):
 *   lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
 *   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;  w -= lr_t m / (sqrt(v) + epsilon)
 * One instance per training phase (as the original's separate optimizers). Its state (t, m, v) is
 * part of a checkpoint, so a resumed run continues exactly. When the native kernels are active the
 * update runs in place on the wasm heap; otherwise with tfjs ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import { nativeAdam } from '../backend';
import { GradientOptimizer, type OptimizerState } from './optimizer';

export type AdamState = OptimizerState;

export class Adam extends GradientOptimizer {
  t = 0;
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];

  constructor(
    vars: tf.Variable[],
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-8,
  ) {
    super(vars);
    this.m = vars.map((x) => tf.tidy(() => tf.variable(tf.zerosLike(x), false)));
    this.v = vars.map((x) => tf.tidy(() => tf.variable(tf.zerosLike(x), false)));
  }

  /**
   * Applies gradients (keyed by variable name, as tf.variableGrads returns them) at learning rate lr.
   * Throws if no variable has a gradient.
   */
  apply(grads: tf.NamedTensorMap, lr: number): void {
    if (!this.vars.some((x) => grads[x.name])) throw new Error('Adam: the loss reaches none of the variables');
    this.t += 1;
    const lrT = (lr * Math.sqrt(1 - Math.pow(this.beta2, this.t))) / (1 - Math.pow(this.beta1, this.t));
    const native = nativeAdam();
    this.vars.forEach((x, i) => {
      const g = grads[x.name];
      // A variable the loss does not reach (e.g. the style head in the cross-entropy phase) is
      // left alone, as TensorFlow's apply_gradients skips None gradients.
      if (!g) return;
      if (native) {
        native.update(x, g, this.m[i], this.v[i], lrT, this.beta1, this.beta2, this.epsilon);
        return;
      }
      tf.tidy(() => {
        const m = tf.add(tf.mul(this.m[i], this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(this.v[i], this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        x.assign(tf.sub(x, tf.div(tf.mul(m, lrT), tf.add(tf.sqrt(v), this.epsilon))));
      });
    });
  }

  getState(): AdamState {
    return { t: this.t, m: this.m.map((x) => x.dataSync() as Float32Array), v: this.v.map((x) => x.dataSync() as Float32Array) };
  }

  setState(s: AdamState): void {
    if (s.m.length !== this.m.length || s.v.length !== this.v.length) {
      throw new Error(`Adam state has ${s.m.length} slots, the optimizer has ${this.m.length}`);
    }
    this.t = s.t;
    tf.tidy(() => {
      this.m.forEach((x, i) => x.assign(tf.tensor(s.m[i], x.shape)));
      this.v.forEach((x, i) => x.assign(tf.tensor(s.v[i], x.shape)));
    });
  }

  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
}
