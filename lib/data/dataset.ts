/**
 * A data set: images of any height, width and channels (values in [0, 1], row-major, channels last),
 * its class names (none for an unlabeled set), and its train / validation / test splits. The
 * readers of the built-in sources are in sources.ts; datasetFromArrays makes one from code.
 */
import { ConfigError } from '../errors';
import { DataError, type ImageSet, type Mnist } from './mnist';

/** Height, width and channels (1 grey, 3 colour: R, G, B) of every image of a data set. */
export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

/** MNIST's 28 x 28 grey images. */
export const MNIST_SHAPE: Readonly<ImageShape> = Object.freeze({ height: 28, width: 28, channels: 1 });
/** MNIST's class names: the digits '0' to '9'. */
export const DIGIT_NAMES: readonly string[] = Object.freeze(Array.from({ length: 10 }, (_, k) => String(k)));

/** Values per image: height * width * channels. */
export function pixelsOf(shape: ImageShape): number {
  return shape.height * shape.width * shape.channels;
}

/** `28x28`, or `32x32x3` for colour. */
export function shapeText(shape: ImageShape): string {
  return `${shape.height}x${shape.width}${shape.channels === 1 ? '' : `x${shape.channels}`}`;
}

export interface Dataset extends Mnist {
  /** 'mnist', 'fashion-mnist', 'cifar10:DIR', a folder, or the name given to arrays. */
  name: string;
  shape: ImageShape;
  /** The name of each label 0 to K-1; empty for a set without labels (its ImageSets' labels are all 0). */
  classNames: string[];
}

/** Whether a data set has labels. */
export function isLabeled(d: Pick<Dataset, 'classNames'>): boolean {
  return d.classNames.length > 0;
}

/** A plain Mnist (from loadMnist, or made by a test) as a data set. */
export function asDataset(d: Mnist | Dataset): Dataset {
  if ('shape' in d && 'classNames' in d) return d;
  return { name: 'mnist', shape: { ...MNIST_SHAPE }, classNames: [...DIGIT_NAMES], ...d };
}

/** Throws unless the shape is three positive integers (channels 1 or 3). */
export function checkShape(shape: ImageShape, what: string): void {
  const ok = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 4096;
  if (!shape || !ok(shape.height) || !ok(shape.width) || !(shape.channels === 1 || shape.channels === 3)) {
    throw new ConfigError(`${what}: the image shape must be height and width from 1 to 4096 and channels 1 (grey) or 3 (colour), got ${JSON.stringify(shape)}`);
  }
}

/**
 * Checks a data set as a whole, once, when an experiment is created: the shape, each split's
 * images (a whole number of images of that shape, every value finite and in [0, 1]) and labels
 * (one per image, each below the number of classes). Throws a DataError naming the data set,
 * the split and the first bad value.
 */
export function checkDataset(d: Dataset): void {
  checkShape(d.shape, `data set ${d.name}`);
  if (!Array.isArray(d.classNames) || d.classNames.some((c) => typeof c !== 'string')) {
    throw new DataError(`data set ${d.name}: classNames must be an array of strings (empty for a set without labels)`);
  }
  if (d.classNames.length > 256) throw new DataError(`data set ${d.name}: ${d.classNames.length} classes; at most 256 (labels are bytes)`);
  const P = pixelsOf(d.shape);
  const K = d.classNames.length;
  for (const split of ['train', 'validation', 'test'] as const) {
    const s: ImageSet | undefined = d[split];
    const where = `data set ${d.name}, ${split} split`;
    if (!s || !(s.images instanceof Float32Array) || !(s.labels instanceof Uint8Array)) {
      throw new DataError(`${where}: needs images (a Float32Array) and labels (a Uint8Array)`);
    }
    if (!Number.isInteger(s.count) || s.count < 0 || s.images.length !== s.count * P) {
      throw new DataError(`${where}: ${s.images.length} values are not ${s.count} images of ${shapeText(d.shape)} (${P} values each)`);
    }
    if (s.labels.length !== s.count) throw new DataError(`${where}: ${s.labels.length} labels for ${s.count} images`);
    const x = s.images;
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (!(v >= 0 && v <= 1)) {
        throw new DataError(`${where}: value ${v} of image ${Math.floor(i / P)} (index ${i}) is outside [0, 1]; scale the images to [0, 1] (e.g. bytes / 255)`);
      }
    }
    for (let i = 0; i < s.count; i++) {
      const l = s.labels[i];
      if (K === 0 ? l !== 0 : l >= K) {
        throw new DataError(`${where}: label ${l} of image ${i} is outside ${K === 0 ? 'an unlabeled set (all 0)' : `0-${K - 1} (${K} classes: ${classList(d.classNames)})`}`);
      }
    }
  }
  if (d.train.count === 0) throw new DataError(`data set ${d.name}: the train split has no images`);
}

/** The class names, shortened for a message. */
export function classList(names: readonly string[]): string {
  return names.length <= 12 ? names.join(', ') : `${names.slice(0, 10).join(', ')}, ... ${names.at(-1)}`;
}

/** The images (and labels) of one split of datasetFromArrays. */
export interface ArraySplit {
  /** n * height * width * channels values in [0, 1], row-major, channels last. */
  images: Float32Array;
  /** One label per image, 0 to K-1 (absent: the data set has no labels). */
  labels?: ArrayLike<number>;
}

export interface ArraysOptions {
  /** The data set's name (default 'arrays'): shown in messages, recorded in configs. */
  name?: string;
  /** [height, width, channels] of every image. */
  shape: [number, number, number] | ImageShape;
  train: ArraySplit;
  test: ArraySplit;
  /** A validation split (default: none, or the first `validationSize` training images). */
  validation?: ArraySplit;
  /** The first N training images become the validation split (default 0; not with `validation`). */
  validationSize?: number;
  /** The class names (their number is K); default '0' to 'K-1' with K = the largest label + 1. */
  classNames?: string[];
}

function toSet(s: ArraySplit, P: number, what: string, labeled: boolean): ImageSet {
  if (!s || !(s.images instanceof Float32Array)) throw new ConfigError(`datasetFromArrays: ${what}.images must be a Float32Array`);
  if (P === 0 || s.images.length % P !== 0) throw new ConfigError(`datasetFromArrays: ${what}.images has ${s.images.length} values, not a whole number of images of ${P} values`);
  const count = s.images.length / P;
  if ((s.labels !== undefined) !== labeled) throw new ConfigError(`datasetFromArrays: ${what}.labels: give labels for every split or for none`);
  if (s.labels !== undefined && s.labels.length !== count) throw new ConfigError(`datasetFromArrays: ${what} has ${count} images and ${s.labels.length} labels`);
  const labels = new Uint8Array(count);
  if (s.labels) {
    for (let i = 0; i < count; i++) {
      const l = s.labels[i];
      if (!Number.isInteger(l) || l < 0 || l > 255) throw new DataError(`datasetFromArrays: ${what}.labels[${i}] is ${l}; labels are integers 0 to K-1`);
      labels[i] = l;
    }
  }
  return { images: s.images, labels, count };
}

/**
 * A data set from arrays made in code; checked in full (checkDataset). Unlabeled arrays (no
 * labels) suit the unsupervised and clustering models only.
 */
export function datasetFromArrays(o: ArraysOptions): Dataset {
  if (!o || typeof o !== 'object') throw new TypeError('datasetFromArrays: expected { shape, train, test, ... }');
  const shape: ImageShape = Array.isArray(o.shape) ? { height: o.shape[0], width: o.shape[1], channels: o.shape[2] } : { ...(o.shape as ImageShape) };
  checkShape(shape, 'datasetFromArrays');
  const P = pixelsOf(shape);
  const labeled = o.train?.labels !== undefined;
  let train = toSet(o.train, P, 'train', labeled);
  const test = toSet(o.test, P, 'test', labeled);
  let validation: ImageSet;
  const vSize = o.validationSize ?? 0;
  if (o.validation) {
    if (vSize) throw new ConfigError('datasetFromArrays: give validation or validationSize, not both');
    validation = toSet(o.validation, P, 'validation', labeled);
  } else {
    if (!Number.isInteger(vSize) || vSize < 0 || vSize >= train.count) {
      throw new ConfigError(`datasetFromArrays: validationSize must be an integer from 0 to ${train.count - 1} (the training images less one), got ${vSize}`);
    }
    validation = { images: train.images.subarray(0, vSize * P), labels: train.labels.subarray(0, vSize), count: vSize };
    train = { images: train.images.subarray(vSize * P), labels: train.labels.subarray(vSize), count: train.count - vSize };
  }
  let classNames = o.classNames;
  if (classNames === undefined) {
    let max = -1;
    for (const s of [train, validation, test]) for (const l of labeled ? s.labels : []) max = Math.max(max, l);
    classNames = Array.from({ length: max + 1 }, (_, k) => String(k));
  } else if (!labeled && classNames.length > 0) {
    throw new ConfigError(`datasetFromArrays: classNames given (${classNames.length}) but no labels`);
  }
  const d: Dataset = { name: o.name ?? 'arrays', shape, classNames: [...classNames], train, validation, test };
  checkDataset(d);
  return d;
}
