/**
 * Dense layers and MLPs as in the original: dense = x W + b with Xavier (Glorot uniform) weights
 * and zero biases; hidden layers are relu then dropout (keep_prob), as `drop_out(relu(dense(x)))`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { nativeDense, nativeDropout } from '../backend';

/** Dropout for one forward pass: rate = 1 - keep_prob; each call takes a fresh seed from rng. */
export interface Dropout {
  rate: number;
  rng: Rng;
}

export type Activation = 'linear' | 'relu' | 'sigmoid';

export class Dense {
  readonly w: tf.Variable;
  readonly b: tf.Variable;

  constructor(readonly name: string, readonly inputs: number, readonly units: number, rng: Rng) {
    const limit = Math.sqrt(6 / (inputs + units));
    const w = new Float32Array(inputs * units);
    for (let i = 0; i < w.length; i++) w[i] = (2 * rng.uniform() - 1) * limit;
    this.w = tf.tidy(() => tf.variable(tf.tensor2d(w, [inputs, units]), true));
    this.b = tf.tidy(() => tf.variable(tf.zeros([units]), true));
  }

  apply(x: tf.Tensor2D, activation: Activation = 'linear'): tf.Tensor2D {
    const native = nativeDense();
    if (native) return native(x, this.w, this.b, { activation, keep: 1, seed: 0 });
    if (activation === 'sigmoid') return tf.sigmoid(tf.fused.matMul({ a: x, b: this.w as tf.Tensor2D, bias: this.b })) as tf.Tensor2D;
    return tf.fused.matMul({ a: x, b: this.w as tf.Tensor2D, bias: this.b, activation }) as tf.Tensor2D;
  }

  /** Weights by name (`<layer>/kernel`, `<layer>/bias`), for checkpoints. */
  weights(): [string, tf.Variable][] {
    return [
      [`${this.name}/kernel`, this.w],
      [`${this.name}/bias`, this.b],
    ];
  }
}

export function dropout(x: tf.Tensor2D, drop: Dropout | null): tf.Tensor2D {
  if (!drop || drop.rate <= 0) return x;
  const seed = drop.rng.seed();
  // The native backend makes tf.dropout's multiplier (the same values) without its JavaScript loop.
  const native = nativeDropout();
  if (!native) return tf.dropout(x, drop.rate, undefined, seed) as tf.Tensor2D;
  const mask = native.mask(x.shape, drop.rate, seed);
  const y = tf.mul(x, mask) as tf.Tensor2D;
  mask.dispose();
  return y;
}

/**
 * A stack of dense layers: `sizes` = [inputs, hidden..., outputs]. Every layer but the last is
 * relu + dropout; the last one uses `output` ('relu' gives a trunk whose last layer is hidden too).
 */
export class MLP {
  readonly layers: Dense[];

  constructor(readonly name: string, sizes: number[], rng: Rng, readonly output: Activation | 'hidden' = 'linear') {
    this.layers = [];
    for (let i = 0; i + 1 < sizes.length; i++) {
      this.layers.push(new Dense(`${name}/dense_${i + 1}`, sizes[i], sizes[i + 1], rng));
    }
  }

  apply(x: tf.Tensor2D, drop: Dropout | null): tf.Tensor2D {
    let h = x;
    const native = nativeDense();
    this.layers.forEach((layer, i) => {
      const last = i === this.layers.length - 1;
      if (native && (!last || this.output === 'hidden')) {
        // relu and dropout in the layer's own kernel; the seed is taken from rng as dropout() takes it.
        const on = !!drop && drop.rate > 0;
        h = native(h, layer.w, layer.b, { activation: 'relu', keep: on ? 1 - drop!.rate : 1, seed: on ? drop!.rng.seed() : 0 });
      } else if (!last || this.output === 'hidden') h = dropout(layer.apply(h, 'relu'), drop);
      else h = layer.apply(h, this.output as Activation);
    });
    return h;
  }

  get variables(): tf.Variable[] {
    return this.layers.flatMap((l) => [l.w, l.b]);
  }

  weights(): [string, tf.Variable][] {
    return this.layers.flatMap((l) => l.weights());
  }
}
