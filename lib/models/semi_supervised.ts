/**
 * Semi-supervised AAE (the original's Semi_Adversarial_AutoEncoder): an encoder with a style head
 * (n_z, linear) and a label head (10, softmax); the decoder reads [style, softmax labels]; a
 * z-discriminator matches the style to the prior and a y-discriminator matches the label head to
 * the categorical prior (one-hot of uniform labels). Phases per batch: reconstruction (encoder +
 * decoder) → z-discriminator → y-discriminator (both lr * dLrFactor) → generator (encoder, lr *
 * generatorLrFactor) → cross-entropy on a labeled batch (encoder, lr * crossEntropyLrFactor), each with
 * its own optimizer (config.optimizer: Adam, or SGD with momentum).
 * Deviations from the original (documented in README):
 *  - the original's cross-entropy trained a separate `label_logits` head that nothing else used,
 *    so labels never shaped the softmax head feeding the decoder and the y-discriminator; here one
 *    label head serves all, and its test classification error is measured;
 *  - its reconstruction optimizer also moved both discriminators (an always-true name filter);
 *    here it updates encoder and decoder only.
 */
import { ConfigError } from '../errors';
import * as tf from '@tensorflow/tfjs-core';
import { AAEBase, type Evaluation, type NetworkSet, type StepLosses } from './base';
import { hiddenSizes, type AAEConfig } from './config';
import { HeadedMLP, MLP, type Dropout } from '../nn/layers';
import { LayersNetwork, type Network } from '../nn/network';
import { convDecoder, convEncoder } from '../nn/nets';
import type { GradientOptimizer as Optimizer } from '../nn/optimizer';
import { discriminatorLoss, marginalEntropyGap, sigmoidCrossEntropy, softmaxCrossEntropy } from '../nn/losses';
import { moveImages, oneHot, type Batch } from '../data/batches';
import type { ImageSet } from '../data/mnist';
import { categorical, drawPrior } from '../priors';
import { Rng } from '../random';

/** The consistency regulariser of the categorical head: the largest move, in whole pixels per axis, of the batch the head must agree with (less for images narrower than 3 px). */
const CONSISTENCY_SHIFT = 2;

export class SemiSupervisedAAE extends AAEBase {
  /** The batch the consistency regulariser's head must agree with: moved by whole pixels, or turned, scaled and moved (consistencyRotate, consistencyScale). */
  private consistencyMove(x: Float32Array, rng: Rng): Float32Array {
    const shift = Math.min(CONSISTENCY_SHIFT, Math.min(this.shape.height, this.shape.width) - 1);
    return moveImages(x, { rotate: this.config.consistencyRotate, scale: this.config.consistencyScale, shift }, rng, this.shape);
  }

  /**
   * 'semi_supervised': a K-way label head (the data set's classes; MNIST: 10) trained on labeled batches too; 'clustering' (the paper's
   * unsupervised clustering AAE): the same architecture with a K-way head (config.clusters) and no
   * labeled phase at all.
   */
  readonly kind: 'semi_supervised' | 'clustering';
  /** Width of the categorical head: 10 labels, or K clusters. */
  readonly nClasses: number;
  /** Pixels -> [style (n_z), label logits (K)]: built in, a HeadedMLP (trunk, style head, label head). */
  readonly encoder: Network;
  readonly decoder: Network;
  readonly zDiscriminator: Network;
  readonly yDiscriminator: Network;
  readonly optimizers: {
    reconstruction: Optimizer;
    zDiscriminator: Optimizer;
    yDiscriminator: Optimizer;
    generator: Optimizer;
    crossEntropy?: Optimizer;
  };

  /** `networks`: networks passed by value (NetworkSet: encoder, decoder, zDiscriminator, yDiscriminator); the others are built in. */
  constructor(config: AAEConfig, rng: Rng, networks?: NetworkSet) {
    super(config);
    this.kind = config.model === 'clustering' ? 'clustering' : 'semi_supervised';
    this.nClasses = this.kind === 'clustering' ? config.clusters : this.classes;
    this.checkNetworks(networks, ['encoder', 'decoder', 'zDiscriminator', 'yDiscriminator']);
    const K = this.nClasses;
    const nZ = config.nZ;
    const conv = config.networks === 'conv';
    const shape = this.imageShape();
    this.encoder = this.network(networks, 'encoder', 'encoder', this.pixels, nZ + K, `pixels -> [style (${nZ}), label logits (${K})]`, () =>
      conv ? new LayersNetwork('encoder', convEncoder(shape, nZ + K, { rng })) : new HeadedMLP('encoder', [this.pixels, ...hiddenSizes(config, 'encoder')], nZ, K, rng),
    );
    this.decoder = this.network(networks, 'decoder', 'decoder', nZ + K, this.pixels, `[style (${nZ}), label probabilities (${K})] -> pixels`, () =>
      conv ? new LayersNetwork('decoder', convDecoder(nZ + K, shape, { rng })) : new MLP('decoder', [nZ + K, ...hiddenSizes(config, 'decoder'), this.pixels], rng, 'sigmoid'),
    );
    const disc = hiddenSizes(config, 'discriminator');
    this.zDiscriminator = this.network(networks, 'zDiscriminator', 'z_discriminator', nZ, 1, 'style -> logit', () => new MLP('z_discriminator', [nZ, ...disc, 1], rng, 'linear'));
    this.yDiscriminator = this.network(networks, 'yDiscriminator', 'y_discriminator', K, 1, 'label probabilities -> logit', () => new MLP('y_discriminator', [K, ...disc, 1], rng, 'linear'));
    this.checkWeightNames();
    const enc = this.encoder.variables;
    const optimizers = {
      reconstruction: this.makeOptimizer([...enc, ...this.decoder.variables], 'reconstruction'),
      zDiscriminator: this.makeOptimizer(this.zDiscriminator.variables, 'regularization'),
      yDiscriminator: this.makeOptimizer(this.yDiscriminator.variables, 'regularization'),
      generator: this.makeOptimizer(enc, 'regularization'),
    };
    // The clustering model has no labeled phase, so no cross-entropy optimizer (none in its checkpoints).
    this.optimizers = this.kind === 'clustering' ? optimizers : { ...optimizers, crossEntropy: this.makeOptimizer(enc, 'crossEntropy') };
  }

  encoderVariables(): tf.Variable[] {
    return this.encoder.variables;
  }

  networks(): { encoder: Network; decoder: Network; zDiscriminator: Network; yDiscriminator: Network } {
    return { encoder: this.encoder, decoder: this.decoder, zDiscriminator: this.zDiscriminator, yDiscriminator: this.yDiscriminator };
  }

  /** Style code and label logits (`training`: a layers encoder's training mode). */
  encodeBoth(x: tf.Tensor2D, drop: Dropout | null, training = false): { style: tf.Tensor2D; logits: tf.Tensor2D } {
    if (this.encoder instanceof HeadedMLP) return this.encoder.heads(x, drop);
    const out = this.encoder.apply(x, drop, training);
    const [style, logits] = tf.split(out, [this.config.nZ, this.nClasses], 1) as [tf.Tensor2D, tf.Tensor2D];
    return { style, logits };
  }

  trainStep(batch: Batch, labeled: Batch | null, lr: number, rng: Rng): StepLosses {
    const B = batch.size;
    const nZ = this.config.nZ;
    const drop = this.dropout(rng);
    const prior = drawPrior(this.prior, B, nZ, rng, false);
    const cat = categorical(B, rng, this.nClasses);
    const x = this.imagesTensor(batch.x, B);
    const xn = batch.xNoised === batch.x ? x : this.imagesTensor(batch.xNoised, B);
    const zReal = tf.tensor2d(prior.z, [B, nZ]);
    const yReal = tf.tensor2d(cat.y, [B, this.nClasses]);
    const held: tf.Tensor[] = [x, xn, zReal, yReal];
    const dLr = lr * this.config.dLrFactor;
    const balance = this.config.headBalance;
    const consistency = this.config.headConsistency;
    try {
      const reconstruction = this.optimizers.reconstruction.minimize(() => {
        const { style, logits } = this.encodeBoth(xn, drop, true);
        return this.reconstructionCost(this.decoder.apply(tf.concat([style, tf.softmax(logits)], 1), drop, true), x);
      }, lr);
      const zDiscriminator = this.optimizers.zDiscriminator.minimize(() => {
        const { style } = this.encodeBoth(xn, drop, true);
        return discriminatorLoss(this.zDiscriminator, zReal, style, drop);
      }, dLr);
      const yDiscriminator = this.optimizers.yDiscriminator.minimize(() => {
        const { logits } = this.encodeBoth(xn, drop, true);
        return discriminatorLoss(this.yDiscriminator, yReal, tf.softmax(logits) as tf.Tensor2D, drop);
      }, dLr);
      // Consistency: the head's probabilities for the batch (no dropout, held fixed) are the target for the moved batch.
      const moved = consistency > 0 ? this.imagesTensor(this.consistencyMove(batch.xNoised, rng), B) : null;
      const target = moved ? tf.tidy(() => tf.softmax(this.encodeBoth(xn, null).logits) as tf.Tensor2D) : null;
      if (moved && target) held.push(moved, target);
      const generator = this.optimizers.generator.minimize(() => {
        const { style, logits } = this.encodeBoth(xn, drop, true);
        const adversarial = tf.add(sigmoidCrossEntropy(this.yDiscriminator.apply(tf.softmax(logits), drop, true), 1), sigmoidCrossEntropy(this.zDiscriminator.apply(style, drop, true), 1));
        let loss: tf.Tensor = balance > 0 ? tf.add(adversarial, tf.mul(balance, marginalEntropyGap(logits))) : adversarial;
        if (moved && target) loss = tf.add(loss, tf.mul(consistency, softmaxCrossEntropy(this.encodeBoth(moved, drop, true).logits, target)));
        return loss as tf.Scalar;
      }, lr * this.config.generatorLrFactor);
      const losses: StepLosses = { reconstruction: this.perPixel(reconstruction), zDiscriminator, yDiscriminator, generator };
      const ce = this.optimizers.crossEntropy;
      if (labeled && ce) {
        const L = labeled.size;
        const xl = this.imagesTensor(labeled.xNoised, L);
        const yl = tf.tensor2d(oneHot(labeled.labels, this.nClasses), [L, this.nClasses]);
        held.push(xl, yl);
        losses.crossEntropy = ce.minimize(() => softmaxCrossEntropy(this.encodeBoth(xl, drop, true).logits, yl), lr * this.config.crossEntropyLrFactor);
      }
      return losses;
    } finally {
      tf.dispose(held);
    }
  }

  protected override labelCount(): number {
    return this.nClasses;
  }

  encodeTensor(x: tf.Tensor2D): tf.Tensor2D {
    return this.encodeBoth(x, null).style;
  }

  /** Decodes [style, one-hot(label or cluster)]; without labels, label 0 is used. */
  decodeTensor(z: tf.Tensor2D, labels?: ArrayLike<number>): tf.Tensor2D {
    const n = z.shape[0];
    const y = tf.tensor2d(oneHot(labels ?? new Uint8Array(n), this.nClasses), [n, this.nClasses]);
    return this.decoder.apply(tf.concat([z, y], 1), null);
  }

  reconstruct(images: Float32Array): Float32Array {
    const n = this.checkImages('reconstruct', images);
    return this.chunked(n, this.pixels, 1000, (s, e) => {
      const { style, logits } = this.encodeBoth(this.rows(images, s, e), null);
      return this.decoder.apply(tf.concat([style, tf.softmax(logits)], 1), null);
    });
  }

  /** Class (or cluster) probabilities: the softmax of the categorical head, n * nClasses. */
  classProbabilities(images: Float32Array): Float32Array {
    const n = this.checkImages('classProbabilities', images);
    return this.chunked(n, this.nClasses, 1000, (s, e) => tf.softmax(this.encodeBoth(this.rows(images, s, e), null).logits));
  }

  /** The most probable class (semi-supervised: the label; clustering: the cluster) of each image. */
  assign(images: Float32Array): Uint8Array {
    const p = this.classProbabilities(images);
    const K = this.nClasses;
    const n = p.length / K;
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let k = 1; k < K; k++) if (p[i * K + k] > p[i * K + best]) best = k;
      out[i] = best;
    }
    return out;
  }

  /**
   * Clustering: the label each cluster stands for, as the AAE paper assigns it: the label of the
   * image of `set` (the validation split) that the head is most confident belongs to that cluster.
   */
  clusterLabels(set: ImageSet): Uint8Array {
    const p = this.classProbabilities(set.images);
    const K = this.nClasses;
    const best = new Float32Array(K).fill(-1);
    const out = new Uint8Array(K);
    for (let i = 0; i < set.count; i++) {
      for (let k = 0; k < K; k++) {
        if (p[i * K + k] > best[k]) {
          best[k] = p[i * K + k];
          out[k] = set.labels[i];
        }
      }
    }
    return out;
  }

  /**
   * Predicted labels: semi-supervised, the label head's; clustering, the label of each image's
   * cluster (`clusterLabels`, required).
   */
  classify(images: Float32Array, clusterLabels?: ArrayLike<number>): Uint8Array {
    const a = this.assign(images);
    if (this.kind === 'semi_supervised') return a;
    if (!clusterLabels || clusterLabels.length !== this.nClasses) {
      throw new ConfigError(`classify: the clustering model needs the label of each of its ${this.nClasses} clusters (clusterLabels), got ${clusterLabels?.length ?? 'none'}`);
    }
    return a.map((k) => clusterLabels[k]);
  }

  /** The fraction of the set's images whose predicted label (classify) is not theirs. */
  classError(set: ImageSet, clusterLabels?: ArrayLike<number>): number {
    const pred = this.classify(set.images, clusterLabels);
    let wrong = 0;
    for (let i = 0; i < set.count; i++) if (pred[i] !== set.labels[i]) wrong++;
    return wrong / set.count;
  }

  /** Reconstruction loss and classification error; clustering: the error only with `clusterLabels`. */
  override evaluate(set: ImageSet, clusterLabels?: ArrayLike<number>): Evaluation {
    const base = super.evaluate(set);
    if (this.kind === 'clustering' && !clusterLabels) return base;
    return { ...base, classError: this.classError(set, clusterLabels) };
  }
}
