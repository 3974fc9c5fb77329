/**
 * Dense layers and MLPs as in the original: dense = x W + b with Xavier (Glorot uniform) weights
 * and zero biases; hidden layers are relu then dropout (keep_prob), as `drop_out(relu(dense(x)))`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { nativeDense } from '../backend';
import type { Network } from './network';

/** Dropout for one forward pass: rate = 1 - keep_prob; each call takes a fresh seed from rng. */
export interface Dropout {
  rate: number;
  rng: Rng;
}

export type Activation = 'linear' | 'relu' | 'sigmoid';

export class Dense {
  readonly w: tf.Variable;
  readonly b: tf.Variable;

  constructor(
    readonly name: string,
    readonly inputs: number,
    readonly units: number,
    rng: Rng,
  ) {
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

/** Chris Wellons's lowbias32 integer hash (a bijection of 32-bit values). */
function hash32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * Dropout's multiplier for n values: 1 / keep (in float32) where kept, else 0. Counter-based: value
 * i is kept when (h_i >> 8) < floor(keep 2^24), h_i = hash32(hash32(i ^ k1) + k2) with keys k1, k2
 * derived from the seed, so each depends only on (seed, i). The native AaeDense kernel makes the
 * same mask (native/src/aae_native.c, dropoutApply), so every backend drops the same values.
 */
export function dropoutMask(n: number, keep: number, seed: number): Float32Array {
  const k1 = hash32((seed + 0x9e3779b9) >>> 0);
  const k2 = hash32((k1 + 0x9e3779b9) >>> 0);
  const threshold = Math.floor(keep * 16777216);
  const scale = Math.fround(1 / Math.fround(keep));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = hash32((hash32(i ^ k1) + k2) >>> 0) >>> 8 < threshold ? scale : 0;
  return out;
}

/** Dropout of x (drop null or rate 0: x itself), with a fresh seed from drop.rng. */
export function dropout(x: tf.Tensor2D, drop: Dropout | null): tf.Tensor2D {
  if (!drop || drop.rate <= 0) return x;
  const seed = drop.rng.seed();
  return tf.tidy(() => tf.mul(x, tf.tensor(dropoutMask(x.size, 1 - drop.rate, seed), x.shape)));
}

/**
 * A stack of dense layers: `sizes` = [inputs, hidden..., outputs]. Every layer but the last is
 * relu + dropout; the last one uses `output` ('relu' gives a trunk whose last layer is hidden too).
 */
export class MLP implements Network {
  readonly kind = 'mlp';
  readonly layers: Dense[];
  readonly inputs: number;
  readonly outputs: number;

  constructor(
    readonly name: string,
    readonly sizes: number[],
    rng: Rng,
    readonly output: Activation | 'hidden' = 'linear',
  ) {
    this.inputs = sizes[0];
    this.outputs = sizes[sizes.length - 1];
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
        // relu and dropout (the same mask as dropout() makes) in the layer's own kernel; the seed is taken from rng as dropout() takes it.
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

  describe(): string {
    return `mlp ${this.sizes.join('-')} (${this.output === 'hidden' ? 'relu' : this.output} output)`;
  }

  dispose(): void {
    tf.dispose(this.variables);
  }
}

/**
 * The semi-supervised model's built-in encoder: an MLP trunk (every layer relu + dropout) and two
 * linear heads on its last hidden layer, the style (n_z) and the label logits (K). As a Network its
 * output row is [style, logits]; the model reads the heads directly (`heads`).
 */
export class HeadedMLP implements Network {
  readonly kind = 'mlp';
  readonly trunk: MLP;
  readonly styleHead: Dense;
  readonly labelHead: Dense;
  readonly inputs: number;
  readonly outputs: number;

  /** `sizes`: [inputs, hidden...]; weights `<name>/dense_i/...`, `<name>/style/...`, `<name>/labels/...`. */
  constructor(
    readonly name: string,
    sizes: number[],
    nStyle: number,
    nLabels: number,
    rng: Rng,
  ) {
    this.trunk = new MLP(name, sizes, rng, 'hidden');
    const h = sizes[sizes.length - 1];
    this.styleHead = new Dense(`${name}/style`, h, nStyle, rng);
    this.labelHead = new Dense(`${name}/labels`, h, nLabels, rng);
    this.inputs = sizes[0];
    this.outputs = nStyle + nLabels;
  }

  heads(x: tf.Tensor2D, drop: Dropout | null): { style: tf.Tensor2D; logits: tf.Tensor2D } {
    const h = this.trunk.apply(x, drop);
    return { style: this.styleHead.apply(h), logits: this.labelHead.apply(h) };
  }

  apply(x: tf.Tensor2D, drop: Dropout | null): tf.Tensor2D {
    const { style, logits } = this.heads(x, drop);
    return tf.concat([style, logits], 1);
  }

  get variables(): tf.Variable[] {
    return [...this.trunk.variables, this.styleHead.w, this.styleHead.b, this.labelHead.w, this.labelHead.b];
  }

  weights(): [string, tf.Variable][] {
    return [...this.trunk.weights(), ...this.styleHead.weights(), ...this.labelHead.weights()];
  }

  describe(): string {
    return `mlp ${this.trunk.sizes.join('-')} (relu) with heads style ${this.styleHead.units} and labels ${this.labelHead.units}`;
  }

  dispose(): void {
    tf.dispose(this.variables);
  }
}
