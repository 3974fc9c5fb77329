/**
 * Supervised AAE (the original's Sup_Adversarial_AutoEncoder): MLP encoder q(z|x) on the noised
 * input, MLP decoder p(x|z) with sigmoid output, and a discriminator on [z, one-hot label]:
 * real = [prior sample, one-hot of its mode], fake = [code, one-hot of the true label].
 * Phases per batch: reconstruction (encoder + decoder, lr) → discriminator (lr * dLrFactor) →
 * generator (encoder, lr * generatorLrFactor), each with its own optimizer (config.optimizer: Adam, or SGD
 * with momentum).
 * Deviation from the original: its reconstruction optimizer's filter (`"encoder" or "decoder" in
 * name`) is always true and also moved the discriminator; here it updates encoder and decoder only.
 */
import * as tf from '@tensorflow/tfjs-core';
import { AAEBase, type StepLosses } from './base';
import type { AAEConfig } from './config';
import { MLP } from '../nn/layers';
import type { GradientOptimizer as Optimizer } from '../nn/optimizer';
import { discriminatorLoss, sigmoidCrossEntropy } from '../nn/losses';
import { oneHot, type Batch } from '../data/batches';
import { N_LABELS, PIXELS } from '../data/mnist';
import { checkPriorModes, drawPrior } from '../priors';
import { Rng } from '../random';

export class SupervisedAAE extends AAEBase {
  readonly kind = 'supervised' as const;
  readonly encoder: MLP;
  readonly decoder: MLP;
  readonly discriminator: MLP;
  readonly optimizers: { reconstruction: Optimizer; discriminator: Optimizer; generator: Optimizer };

  constructor(config: AAEConfig, rng: Rng) {
    super(config);
    // a prior sample's mode is the discriminator's label: as many modes as the data set has classes
    checkPriorModes(this.prior, N_LABELS);
    const H = config.nHidden;
    this.encoder = new MLP('encoder', [PIXELS, H, H, config.nZ], rng, 'linear');
    this.decoder = new MLP('decoder', [config.nZ, H, H, PIXELS], rng, 'sigmoid');
    this.discriminator = new MLP('discriminator', [config.nZ + N_LABELS, H, H, 1], rng, 'linear');
    this.optimizers = {
      reconstruction: this.makeOptimizer([...this.encoder.variables, ...this.decoder.variables], 'reconstruction'),
      discriminator: this.makeOptimizer(this.discriminator.variables, 'regularization'),
      generator: this.makeOptimizer(this.encoder.variables, 'regularization'),
    };
  }

  namedWeights(): [string, tf.Variable][] {
    return [...this.encoder.weights(), ...this.decoder.weights(), ...this.discriminator.weights()];
  }

  trainStep(batch: Batch, _labeled: Batch | null, lr: number, rng: Rng): StepLosses {
    const B = batch.size;
    const nZ = this.config.nZ;
    const drop = this.dropout(rng);
    const prior = drawPrior(this.prior, B, nZ, rng, true);
    const x = tf.tensor2d(batch.x, [B, PIXELS]);
    const xn = batch.xNoised === batch.x ? x : tf.tensor2d(batch.xNoised, [B, PIXELS]);
    const y = tf.tensor2d(oneHot(batch.labels), [B, N_LABELS]);
    const real = tf.tidy(() => tf.concat([tf.tensor2d(prior.z, [B, nZ]), tf.tensor2d(oneHot(prior.labels), [B, N_LABELS])], 1));
    try {
      const reconstruction = this.optimizers.reconstruction.minimize(() => this.reconstructionCost(this.decoder.apply(this.encoder.apply(xn, drop), drop), x), lr);
      const discriminator = this.optimizers.discriminator.minimize(() => {
        const fake = tf.concat([this.encoder.apply(xn, drop), y], 1) as tf.Tensor2D;
        return discriminatorLoss(this.discriminator, real, fake, drop);
      }, lr * this.config.dLrFactor);
      const generator = this.optimizers.generator.minimize(
        () => sigmoidCrossEntropy(this.discriminator.apply(tf.concat([this.encoder.apply(xn, drop), y], 1), drop), 1),
        lr * this.config.generatorLrFactor,
      );
      return { reconstruction: this.perPixel(reconstruction), discriminator, generator };
    } finally {
      tf.dispose([x, xn, y, real]);
    }
  }

  encodeTensor(x: tf.Tensor2D): tf.Tensor2D {
    return this.encoder.apply(x, null);
  }

  decodeTensor(z: tf.Tensor2D): tf.Tensor2D {
    return this.decoder.apply(z, null);
  }

  reconstruct(images: Float32Array): Float32Array {
    const n = this.checkImages('reconstruct', images);
    return this.chunked(n, PIXELS, 1000, (s, e) => this.decoder.apply(this.encoder.apply(tf.tensor2d(images.subarray(s * PIXELS, e * PIXELS), [e - s, PIXELS]), null), null));
  }
}
