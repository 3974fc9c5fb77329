/**
 * Supervised AAE (the original's Sup_Adversarial_AutoEncoder): MLP encoder q(z|x) on the noised
 * input, MLP decoder p(x|z) with sigmoid output, and a discriminator on [z, one-hot label]:
 * real = [prior sample, one-hot of its mode], fake = [code, one-hot of the true label].
 * Phases per batch: reconstruction (encoder + decoder, lr) → discriminator (lr * dLrFactor) →
 * generator (encoder, lr * generatorLrFactor), each with its own optimizer (config.optimizer: Adam, or SGD
 * with momentum).
 * Deviation from the original: its reconstruction optimizer's filter (`"encoder" or "decoder" in
 * name`) is always true and also moved the discriminator; here it updates encoder and decoder only.
 *
 * The unsupervised AAE (the AAE paper's basic model, `model: 'unsupervised'`) is the same without
 * the label anywhere: its discriminator sees z only (real = a prior sample, fake = a code), its
 * prior samples are not conditioned on a mode, and it trains on data sets without labels.
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
import { checkPriorModes, drawPrior } from '../priors';
import { Rng } from '../random';

export class SupervisedAAE extends AAEBase {
  readonly kind: 'supervised' | 'unsupervised';
  /** Width of the label one-hot joined to z for the discriminator: K classes, or 0 (unsupervised). */
  readonly labelWidth: number;
  readonly encoder: Network;
  readonly decoder: Network;
  readonly discriminator: Network;
  readonly optimizers: { reconstruction: Optimizer; discriminator: Optimizer; generator: Optimizer };

  /** `networks`: networks passed by value (NetworkSet: encoder, decoder, discriminator); the others are built in. */
  constructor(config: AAEConfig, rng: Rng, networks?: NetworkSet) {
    super(config);
    this.kind = config.model === 'unsupervised' ? 'unsupervised' : 'supervised';
    this.labelWidth = this.kind === 'unsupervised' ? 0 : this.classes;
    this.checkNetworks(networks, ['encoder', 'decoder', 'discriminator']);
    // a prior sample's mode is the discriminator's label: as many modes as the data set has classes
    if (this.kind === 'supervised') checkPriorModes(this.prior, this.classes);
    const nZ = config.nZ;
    const K = this.labelWidth;
    const conv = config.networks === 'conv';
    const shape = this.imageShape();
    this.encoder = this.network(networks, 'encoder', 'encoder', this.pixels, nZ, 'pixels -> z', () =>
      conv ? new LayersNetwork('encoder', convEncoder(shape, nZ, { rng })) : new MLP('encoder', [this.pixels, ...hiddenSizes(config, 'encoder'), nZ], rng, 'linear'),
    );
    this.decoder = this.network(networks, 'decoder', 'decoder', nZ, this.pixels, 'z -> pixels', () =>
      conv ? new LayersNetwork('decoder', convDecoder(nZ, shape, { rng })) : new MLP('decoder', [nZ, ...hiddenSizes(config, 'decoder'), this.pixels], rng, 'sigmoid'),
    );
    this.discriminator = this.network(
      networks,
      'discriminator',
      'discriminator',
      nZ + K,
      1,
      K > 0 ? '[z, one-hot label] -> logit' : 'z -> logit',
      () => new MLP('discriminator', [nZ + K, ...hiddenSizes(config, 'discriminator'), 1], rng, 'linear'),
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
    const K = this.labelWidth;
    const prior = drawPrior(this.prior, B, nZ, rng, K > 0);
    const x = this.imagesTensor(batch.x, B);
    const xn = batch.xNoised === batch.x ? x : this.imagesTensor(batch.xNoised, B);
    // The discriminator's input: z joined to the label's one-hot (supervised), or z alone.
    const y = K > 0 ? tf.tensor2d(oneHot(batch.labels, K), [B, K]) : null;
    const withLabel = (z: tf.Tensor2D): tf.Tensor2D => (y ? (tf.concat([z, y], 1) as tf.Tensor2D) : z);
    const real = tf.tidy(() => (K > 0 ? tf.concat([tf.tensor2d(prior.z, [B, nZ]), tf.tensor2d(oneHot(prior.labels, K), [B, K])], 1) : tf.tensor2d(prior.z, [B, nZ])));
    try {
      const reconstruction = this.optimizers.reconstruction.minimize(() => this.reconstructionCost(this.decoder.apply(this.encoder.apply(xn, drop, true), drop, true), x), lr);
      const discriminator = this.optimizers.discriminator.minimize(() => discriminatorLoss(this.discriminator, real, withLabel(this.encoder.apply(xn, drop, true)), drop), lr * this.config.dLrFactor);
      const generator = this.optimizers.generator.minimize(
        () => sigmoidCrossEntropy(this.discriminator.apply(withLabel(this.encoder.apply(xn, drop, true)), drop, true), 1),
        lr * this.config.generatorLrFactor,
      );
      return { reconstruction: this.perPixel(reconstruction), discriminator, generator };
    } finally {
      tf.dispose([x, xn, real, ...(y ? [y] : [])]);
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
    return this.chunked(n, this.pixels, 1000, (s, e) => this.decoder.apply(this.encoder.apply(this.rows(images, s, e), null), null));
  }
}
