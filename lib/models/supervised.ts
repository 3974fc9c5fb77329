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
import { AAEBase, type NetworkSet, type StepLosses } from './base';
import { hiddenSizes, type AAEConfig } from './config';
import { MLP } from '../nn/layers';
import { LayersNetwork, type Network } from '../nn/network';
import { convDecoder, convEncoder } from '../nn/nets';
import type { GradientOptimizer as Optimizer } from '../nn/optimizer';
import { discriminatorLoss, sigmoidCrossEntropy } from '../nn/losses';
import { oneHot, type Batch } from '../data/batches';
import { N_LABELS, PIXELS } from '../data/mnist';
import { checkPriorModes, drawPrior } from '../priors';
import { Rng } from '../random';

export class SupervisedAAE extends AAEBase {
  readonly kind = 'supervised' as const;
  readonly encoder: Network;
  readonly decoder: Network;
  readonly discriminator: Network;
  readonly optimizers: { reconstruction: Optimizer; discriminator: Optimizer; generator: Optimizer };

  /** `networks`: networks passed by value (NetworkSet: encoder, decoder, discriminator); the others are built in. */
  constructor(config: AAEConfig, rng: Rng, networks?: NetworkSet) {
    super(config);
    this.checkNetworks(networks, ['encoder', 'decoder', 'discriminator']);
    // a prior sample's mode is the discriminator's label: as many modes as the data set has classes
    checkPriorModes(this.prior, N_LABELS);
    const nZ = config.nZ;
    const conv = config.networks === 'conv';
    const shape = this.imageShape();
    this.encoder = this.network(networks, 'encoder', 'encoder', PIXELS, nZ, 'pixels -> z', () =>
      conv ? new LayersNetwork('encoder', convEncoder(shape, nZ, { rng })) : new MLP('encoder', [PIXELS, ...hiddenSizes(config, 'encoder'), nZ], rng, 'linear'),
    );
    this.decoder = this.network(networks, 'decoder', 'decoder', nZ, PIXELS, 'z -> pixels', () =>
      conv ? new LayersNetwork('decoder', convDecoder(nZ, shape, { rng })) : new MLP('decoder', [nZ, ...hiddenSizes(config, 'decoder'), PIXELS], rng, 'sigmoid'),
    );
    this.discriminator = this.network(
      networks,
      'discriminator',
      'discriminator',
      nZ + N_LABELS,
      1,
      '[z, one-hot label] -> logit',
      () => new MLP('discriminator', [nZ + N_LABELS, ...hiddenSizes(config, 'discriminator'), 1], rng, 'linear'),
    );
    this.checkWeightNames();
    this.optimizers = {
      reconstruction: this.makeOptimizer([...this.encoder.variables, ...this.decoder.variables], 'reconstruction'),
      discriminator: this.makeOptimizer(this.discriminator.variables, 'regularization'),
      generator: this.makeOptimizer(this.encoder.variables, 'regularization'),
    };
  }

  networks(): { encoder: Network; decoder: Network; discriminator: Network } {
    return { encoder: this.encoder, decoder: this.decoder, discriminator: this.discriminator };
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
      const reconstruction = this.optimizers.reconstruction.minimize(() => this.reconstructionCost(this.decoder.apply(this.encoder.apply(xn, drop, true), drop, true), x), lr);
      const discriminator = this.optimizers.discriminator.minimize(() => {
        const fake = tf.concat([this.encoder.apply(xn, drop, true), y], 1) as tf.Tensor2D;
        return discriminatorLoss(this.discriminator, real, fake, drop);
      }, lr * this.config.dLrFactor);
      const generator = this.optimizers.generator.minimize(
        () => sigmoidCrossEntropy(this.discriminator.apply(tf.concat([this.encoder.apply(xn, drop, true), y], 1), drop, true), 1),
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
