// Data sets other than MNIST: IDX folders of any image size (gzipped or not), CIFAR-10's binary
// format, Fashion-MNIST from Debian's package, arrays from code; the checks made when an experiment
// is created; the unsupervised AAE on unlabeled data; every figure of any size, grey or colour.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { initBackend } from '../lib/backend';
import { DataError } from '../lib/data/mnist';
import { datasetFromArrays, type Dataset } from '../lib/data/dataset';
import { FASHION_MNIST_CLASSES, FASHION_MNIST_DIR, CIFAR10_CLASSES, loadCifar10, loadIdxFolder, validationCount } from '../lib/data/sources';
import { shiftImages } from '../lib/data/batches';
import { makeConfig, ConfigError } from '../lib/models/config';
import { createExperiment } from '../lib/train/setup';
import { experimentFigures } from '../lib/figures/experiment';
import { runVariant } from '../lib/settings/table';
import { Rng } from '../lib/random';
import { main } from '../lib/cli/aae';
import { capture } from './capture';

let root: string;
before(async () => {
  await initBackend();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'aae-datasets-'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** Seeded images of `classes` classes: class k is a bright square in its own corner, plus noise. */
function makeImages(n: number, h: number, w: number, c: number, classes: number, seed: number): { pixels: Uint8Array; labels: Uint8Array } {
  const rng = new Rng(seed);
  const pixels = new Uint8Array(n * h * w * c);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % classes;
    labels[i] = k;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const on = (k & 1 ? x >= w / 2 : x < w / 2) && (k & 2 ? y >= h / 2 : y < h / 2);
        for (let ch = 0; ch < c; ch++) pixels[((i * h + y) * w + x) * c + ch] = (on ? 200 : 0) + rng.int(50);
      }
    }
  }
  return { pixels, labels };
}

function idxImages(pixels: Uint8Array, n: number, h: number, w: number): Buffer {
  const head = Buffer.alloc(16);
  head.writeUInt32BE(2051, 0);
  head.writeUInt32BE(n, 4);
  head.writeUInt32BE(h, 8);
  head.writeUInt32BE(w, 12);
  return Buffer.concat([head, Buffer.from(pixels)]);
}

function idxLabels(labels: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(2049, 0);
  head.writeUInt32BE(labels.length, 4);
  return Buffer.concat([head, Buffer.from(labels)]);
}

/** A folder of the four IDX files (MNIST's names; gzipped with .gz added when `gz`). */
function makeIdxFolder(dir: string, o: { train: number; test: number; h: number; w: number; classes: number; gz: boolean; classNames?: string[] }): string {
  fs.mkdirSync(dir, { recursive: true });
  const write = (name: string, b: Buffer) => fs.writeFileSync(path.join(dir, o.gz ? `${name}.gz` : name), o.gz ? gzipSync(b) : b);
  const tr = makeImages(o.train, o.h, o.w, 1, o.classes, 1);
  const te = makeImages(o.test, o.h, o.w, 1, o.classes, 2);
  write('train-images-idx3-ubyte', idxImages(tr.pixels, o.train, o.h, o.w));
  write('train-labels-idx1-ubyte', idxLabels(tr.labels));
  write('t10k-images-idx3-ubyte', idxImages(te.pixels, o.test, o.h, o.w));
  write('t10k-labels-idx1-ubyte', idxLabels(te.labels));
  if (o.classNames) fs.writeFileSync(path.join(dir, 'classes.txt'), o.classNames.join('\n') + '\n');
  return dir;
}

/** CIFAR-10 records: a label byte, then the 32x32 R, G and B planes. */
function cifarRecords(pixels: Uint8Array, labels: Uint8Array): Buffer {
  const n = labels.length;
  const out = Buffer.alloc(n * 3073);
  for (let i = 0; i < n; i++) {
    out[i * 3073] = labels[i];
    for (let p = 0; p < 1024; p++) for (let ch = 0; ch < 3; ch++) out[i * 3073 + 1 + ch * 1024 + p] = pixels[(i * 1024 + p) * 3 + ch];
  }
  return out;
}

/** A CIFAR-10 binary folder: five training files of `per` records each, a test file of `test`. */
function makeCifarFolder(dir: string, per: number, test: number, meta?: string[]): { dir: string; first: Uint8Array } {
  fs.mkdirSync(dir, { recursive: true });
  let first = new Uint8Array(0);
  for (let b = 1; b <= 5; b++) {
    const { pixels, labels } = makeImages(per, 32, 32, 3, 10, 10 + b);
    if (b === 1) first = pixels.slice(0, 3072);
    fs.writeFileSync(path.join(dir, `data_batch_${b}.bin`), cifarRecords(pixels, labels));
  }
  const t = makeImages(test, 32, 32, 3, 10, 20);
  fs.writeFileSync(path.join(dir, 'test_batch.bin'), cifarRecords(t.pixels, t.labels));
  if (meta) fs.writeFileSync(path.join(dir, 'batches.meta.txt'), meta.join('\n') + '\n\n');
  return { dir, first };
}

test('an IDX folder: any image size, gzipped or not, the same images; MNIST split rule; classes.txt names the classes', () => {
  const plain = loadIdxFolder(makeIdxFolder(path.join(root, 'idx-plain'), { train: 300, test: 60, h: 20, w: 20, classes: 3, gz: false }));
  const gz = loadIdxFolder(makeIdxFolder(path.join(root, 'idx-gz'), { train: 300, test: 60, h: 20, w: 20, classes: 3, gz: true, classNames: ['circle', 'square', 'star'] }));
  assert.deepEqual(plain.shape, { height: 20, width: 20, channels: 1 });
  assert.deepEqual(plain.classNames, ['0', '1', '2']);
  assert.deepEqual(gz.classNames, ['circle', 'square', 'star']);
  // MNIST's rule: the first min(5,000, n / 10) training images are the validation split.
  assert.equal(validationCount(60000), 5000);
  assert.equal(validationCount(50000), 5000);
  assert.equal(plain.validation.count, 30);
  assert.equal(plain.train.count, 270);
  assert.equal(plain.test.count, 60);
  assert.deepEqual(gz.train.images, plain.train.images);
  assert.deepEqual(gz.test.labels, plain.test.labels);
  assert.equal(plain.train.images.length, 270 * 400);
  assert.ok(plain.train.images.every((v) => v >= 0 && v <= 1));
  // The validation split is the first images: image 0 of the file is class 0.
  assert.equal(plain.validation.labels[0], 0);
  assert.equal(plain.train.labels[0], 30 % 3);
});

test('an IDX folder: a missing file, or a label beyond classes.txt, is a DataError naming the file', () => {
  const dir = makeIdxFolder(path.join(root, 'idx-bad'), { train: 100, test: 20, h: 8, w: 8, classes: 3, gz: true, classNames: ['a', 'b'] });
  assert.throws(
    () => loadIdxFolder(dir),
    (e: Error) => e instanceof DataError && /idx-bad\/train-labels-idx1-ubyte\.gz: label 2 at index 2 is outside 0-1/.test(e.message),
  );
  fs.rmSync(path.join(dir, 't10k-images-idx3-ubyte.gz'));
  fs.rmSync(path.join(dir, 'classes.txt'));
  assert.throws(
    () => loadIdxFolder(dir),
    (e: Error) => e instanceof DataError && /IDX file missing: .*idx-bad\/t10k-images-idx3-ubyte/.test(e.message) && /\.gz/.test(e.message),
  );
});

test('CIFAR-10 binary files: R, G, B planes become channels-last pixels; class names from batches.meta.txt or the standard ten', () => {
  const { dir, first } = makeCifarFolder(path.join(root, 'cifar'), 20, 30);
  const d = loadCifar10(dir);
  assert.deepEqual(d.shape, { height: 32, width: 32, channels: 3 });
  assert.deepEqual(d.classNames, [...CIFAR10_CLASSES]);
  assert.equal(d.validation.count + d.train.count, 100);
  assert.equal(d.validation.count, 10);
  assert.equal(d.test.count, 30);
  // Image 0 of data_batch_1 is validation image 0, every value as written, channels last.
  for (const p of [0, 1, 2, 3, 500, 3071]) assert.equal(Math.round(d.validation.images[p] * 255), first[p]);
  assert.deepEqual(Array.from(d.validation.labels.subarray(0, 3)), [0, 1, 2]);
  const named = loadCifar10(makeCifarFolder(path.join(root, 'cifar-meta'), 10, 10, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']).dir);
  assert.deepEqual(named.classNames, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']);
  fs.rmSync(path.join(dir, 'test_batch.bin'));
  assert.throws(
    () => loadCifar10(dir),
    (e: Error) => e instanceof DataError && /CIFAR-10 file missing: .*test_batch\.bin/.test(e.message) && /cs\.toronto\.edu/.test(e.message),
  );
  fs.writeFileSync(path.join(dir, 'data_batch_3.bin'), Buffer.alloc(100));
  assert.throws(() => loadCifar10(dir), /data_batch_3\.bin: 100 bytes are not whole CIFAR-10 records of 3073 bytes/);
});

test('the labeled-shift augmentation moves colour and non-square images whole pixels at a time', () => {
  const shape = { height: 3, width: 4, channels: 3 };
  const x = new Float32Array(2 * 36).map((_, i) => (i % 36) / 36 + 0.01);
  // maxShift 1 draws dx, dy per image; find the offsets from the result.
  const out = shiftImages(x, 1, new Rng(5), shape);
  for (let i = 0; i < 2; i++) {
    const img = out.subarray(i * 36, (i + 1) * 36);
    const src = x.subarray(i * 36, (i + 1) * 36);
    let found = false;
    for (let dy = -1; dy <= 1 && !found; dy++) {
      for (let dx = -1; dx <= 1 && !found; dx++) {
        let ok = true;
        for (let r = 0; r < 3; r++) {
          for (let c = 0; c < 4; c++) {
            for (let ch = 0; ch < 3; ch++) {
              const sr = r - dy;
              const sc = c - dx;
              const want = sr >= 0 && sr < 3 && sc >= 0 && sc < 4 ? src[(sr * 4 + sc) * 3 + ch] : 0;
              if (img[(r * 4 + c) * 3 + ch] !== want) ok = false;
            }
          }
        }
        found = ok;
      }
    }
    assert.ok(found, `image ${i} is a whole-pixel shift of its source, every channel alike`);
  }
  assert.throws(() => shiftImages(x, 3, new Rng(0), shape), /maxShift must be an integer from 0 to 2/);
});

/** A labeled arrays data set of 4x4 grey images, 10 classes. */
function arrays(o: { value?: number; label?: number; train?: number; labels?: boolean } = {}): Dataset {
  const n = o.train ?? 200;
  const images = new Float32Array(n * 16).map((_, i) => (i % 7) / 7);
  if (o.value !== undefined) images[20 * 16 + 5] = o.value; // training image 0 (the first 20 are the validation split)
  const labels = Array.from({ length: n }, (_, i) => i % 10);
  if (o.label !== undefined) labels[5] = o.label;
  const testImages = new Float32Array(40 * 16).fill(0.5);
  const testLabels = Array.from({ length: 40 }, (_, i) => i % 10);
  return datasetFromArrays({
    shape: [4, 4, 1],
    train: { images, ...(o.labels === false ? {} : { labels }) },
    test: { images: testImages, ...(o.labels === false ? {} : { labels: testLabels }) },
    validationSize: 20,
    ...(o.labels === false ? {} : { classNames: Array.from({ length: 10 }, (_, k) => `c${k}`) }),
  });
}

test('wrong data is a clear error before training: values outside [0, 1], label 12 of 10 classes, fewer images than a batch, too few of a class', () => {
  assert.throws(
    () => arrays({ value: 1.5 }),
    (e: Error) => e instanceof DataError && /train split: value 1.5 of image 0 \(index 5\) is outside \[0, 1\]/.test(e.message),
  );
  assert.throws(() => arrays({ value: NaN }), /value NaN .* is outside \[0, 1\]/);
  assert.throws(
    () => arrays({ label: 12 }),
    (e: Error) => e instanceof DataError && /label 12 of image 5 is outside 0-9 \(10 classes: c0, c1/.test(e.message),
  );
  const small = arrays({ train: 70 });
  assert.throws(
    () => createExperiment(makeConfig({ model: 'supervised', prior: 'gaussian_mixture', nZ: 2, nHidden: 8, batchSize: 100 }), small),
    (e: Error) => e instanceof ConfigError && /batch size 100 is larger than the training set \(50 images\) of the data set arrays/.test(e.message),
  );
  // Balanced labels: 40 = 4 of each class, and class c9 has only 3 among the 180 training images after 5 are removed.
  const d = arrays();
  const few = { ...d, train: { ...d.train, labels: d.train.labels.map((l, i) => (l === 9 && i > 30 ? 8 : l)) } };
  assert.throws(
    () => createExperiment(makeConfig({ model: 'semi_supervised', nZ: 2, nHidden: 8, batchSize: 20, nLabeled: 40, labeledFrom: 'balanced' }), few),
    (e: Error) => e instanceof ConfigError && /labeled subset of 40 needs 4 examples of class 9 \(c9\), the set has 3/.test(e.message),
  );
  assert.throws(
    () => createExperiment(makeConfig({ dataset: 'arrays', model: 'semi_supervised', nZ: 2, nHidden: 8, batchSize: 20, nLabeled: 45, labeledFrom: 'balanced' }), d),
    /45 labeled examples are not a multiple of the 10 classes of the data set arrays/,
  );
  // A config made for another data set does not take this one silently.
  const cfg = makeConfig({ model: 'supervised', prior: 'gaussian', nZ: 2, nHidden: 8, batchSize: 20, dataset: 'fashion-mnist', classNames: [...FASHION_MNIST_CLASSES] });
  assert.throws(() => createExperiment(cfg, d), /the config is for the data set fashion-mnist \(28x28, 10 classes: T-shirt\/top.*the data given is arrays \(4x4, 10 classes: c0/);
  // The supervised model's prior needs a mode per class of the data set given: ten modes for three classes are refused, three are taken.
  const three = datasetFromArrays({
    shape: [4, 4, 1],
    train: { images: new Float32Array(60 * 16).fill(0.5), labels: Array.from({ length: 60 }, (_, i) => i % 3) },
    test: { images: new Float32Array(30 * 16).fill(0.5), labels: Array.from({ length: 30 }, (_, i) => i % 3) },
    validationSize: 20,
    classNames: ['a', 'b', 'c'],
  });
  assert.throws(
    () => createExperiment(makeConfig({ model: 'supervised', prior: 'gaussian_mixture', nZ: 2, nHidden: 8, batchSize: 20 }), three),
    (e: Error) => e instanceof ConfigError && /prior "gaussian_mixture" has 10 modes, the data set has 3 classes.*e\.g\. gaussian_mixture:3/.test(e.message),
  );
  const fits = createExperiment(makeConfig({ model: 'supervised', prior: 'gaussian_mixture:3', nZ: 2, nHidden: 8, batchSize: 20 }), three);
  assert.equal(fits.model.prior.modes, 3);
  fits.model.dispose();
});

test('the unsupervised AAE trains on unlabeled arrays and draws its figures; the supervised and semi-supervised models refuse them', async () => {
  const d = arrays({ labels: false });
  assert.deepEqual(d.classNames, []);
  for (const model of ['supervised', 'semi_supervised'] as const) {
    assert.throws(
      () => createExperiment(makeConfig({ model, prior: 'gaussian', nZ: 2, nHidden: 8, batchSize: 20 }), d),
      (e: Error) => e instanceof ConfigError && new RegExp(`the ${model.replace('_', '-')} model needs labels, and the data set arrays has none; use --model unsupervised`).test(e.message),
    );
  }
  const exp = createExperiment(makeConfig({ model: 'unsupervised', prior: 'gaussian_mixture', nZ: 2, nHidden: 16, batchSize: 20, epochs: 1 }), d);
  assert.equal(exp.model.kind, 'unsupervised');
  assert.deepEqual(exp.config.classNames, []);
  assert.deepEqual(exp.config.imageShape, [4, 4, 1]);
  // The discriminator sees z only: n_z inputs, no label one-hot.
  assert.deepEqual(exp.model.namedWeights().find(([n]) => n.startsWith('discriminator/'))![1].shape, [2, 16]);
  assert.equal(await exp.trainer.run(), 'completed');
  const m = exp.trainer.history[0];
  assert.ok(Number.isFinite(m.train_reconstruction) && Number.isFinite(m.train_discriminator) && Number.isFinite(m.test_reconstruction));
  assert.equal(m.test_error, undefined);
  const { figures } = experimentFigures(exp);
  assert.deepEqual(
    figures.map((f) => f.name),
    ['restoration', 'latent_scatter', 'prior_samples', 'manifold', 'training_curves'],
  );
  // No labels: one colour, no legend.
  assert.deepEqual((figures[1].spec as { encoding: { color: unknown } }).encoding.color, { value: '#1f77b4' });
  exp.model.dispose();
});

test('result names and run folders tell data sets apart, except MNIST', () => {
  assert.equal(runVariant(makeConfig({}, 'paper')), '');
  assert.equal(runVariant(makeConfig({ dataset: 'fashion-mnist' }, 'paper')), '-fashion-mnist');
  assert.equal(runVariant(makeConfig({ dataset: 'cifar10:/data/cifar-10-batches-bin' }, 'paper')), '-cifar10');
  assert.equal(runVariant(makeConfig({ dataset: '/data/my shapes' }, 'paper')), '-my_shapes');
});

const FIGURES = ['restoration', 'latent_scatter', 'prior_samples', 'manifold', 'training_curves'];
const QUICK = ['--epochs', '1', '--hidden', '32', '--batch-size', '30', '--n_z', '2', '--no-progress'];

test('an IDX folder of 20x20 images and 3 classes trains each model for one epoch and draws every figure', async () => {
  const dir = makeIdxFolder(path.join(root, 'shapes'), { train: 300, test: 60, h: 20, w: 20, classes: 3, gz: true, classNames: ['left-top', 'right-top', 'left-bottom'] });
  for (const [model, extra, figures] of [
    ['supervised', ['--prior', 'gaussian_mixture:3'], FIGURES],
    ['semi_supervised', ['--labels', '30', '--labeled-from', 'balanced', '--labeled-shift', '2'], [...FIGURES, 'conditional_generation']],
    ['unsupervised', ['--prior', 'swiss_roll'], FIGURES],
  ] as const) {
    const out = path.join(root, `run-shapes-${model}`);
    const r = await capture(() => main(['--dataset', dir, '--model', model, ...extra, ...QUICK, '--out', out]));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`on ${dir.replace(/[/.]/g, '\\$&')}`));
    for (const f of figures) assert.ok(fs.existsSync(path.join(out, `${f}.png`)), `${model}: ${f}.png`);
    const metrics = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8')) as { config: Record<string, unknown> };
    assert.deepEqual(metrics.config.imageShape, [20, 20, 1]);
    assert.deepEqual(metrics.config.classNames, ['left-top', 'right-top', 'left-bottom']);
    if (model === 'semi_supervised') {
      // The conditional generation: three label columns named by classes.txt.
      const svg = fs.readFileSync(path.join(out, 'conditional_generation.svg'), 'utf8');
      for (const name of ['left-top', 'right-top', 'left-bottom']) assert.ok(svg.includes(name), name);
    }
  }
  // The supervised model's prior needs a mode per class: the ten-mode gaussian_mixture is refused (exit 2, one line, nothing written).
  const refused = path.join(root, 'run-shapes-ten-modes');
  let r = await capture(() => main(['--dataset', dir, '--model', 'supervised', '--prior', 'gaussian_mixture', ...QUICK, '--out', refused]));
  assert.equal(r.code, 2);
  assert.equal(r.lines.length, 1);
  assert.match(r.lines[0], /prior "gaussian_mixture" has 10 modes, the data set has 3 classes.*e\.g\. gaussian_mixture:3/);
  assert.ok(!fs.existsSync(refused), 'nothing written');
  // --resume must match the data set the checkpoint was trained on.
  r = await capture(() => main(['--resume', '--dataset', 'mnist', '--out', path.join(root, 'run-shapes-supervised')]));
  assert.equal(r.code, 2);
  assert.match(r.lines[0], /--resume: --dataset mnist does not match the checkpoint .*, trained with --dataset .*shapes/);
});

test('a CIFAR-10 binary folder of 32x32x3 colour images trains each model for one epoch and draws every figure in colour', async () => {
  const { dir } = makeCifarFolder(path.join(root, 'cifar-run'), 60, 40);
  for (const [model, extra, figures] of [
    ['supervised', ['--prior', 'gaussian'], FIGURES],
    ['semi_supervised', ['--labels', '30', '--labeled-from', 'balanced'], [...FIGURES, 'conditional_generation']],
    ['unsupervised', [], FIGURES],
  ] as const) {
    const out = path.join(root, `run-cifar-${model}`);
    const r = await capture(() => main(['--dataset', `cifar10:${dir}`, '--model', model, ...extra, ...QUICK, '--out', out]));
    assert.equal(r.code, 0, r.err);
    for (const f of figures) assert.ok(fs.existsSync(path.join(out, `${f}.png`)), `${model}: ${f}.png`);
  }
  // The restoration's images are colour PNGs (RGB) inside the figure.
  const svg = fs.readFileSync(path.join(root, 'run-cifar-supervised', 'restoration.svg'), 'utf8');
  const png = Buffer.from(/data:image\/png;base64,([A-Za-z0-9+/=]+)/.exec(svg)![1], 'base64');
  assert.equal(png[25], 2, 'PNG colour type 2 (RGB)');
  // The prior's modes are named by the classes in the supervised model's legend.
  assert.ok(fs.readFileSync(path.join(root, 'run-cifar-supervised', 'prior_samples.svg'), 'utf8').includes('automobile'));
});

test('--dataset: a bad value is exit 2 naming the choices; missing files exit 1 naming the path (and the Debian package)', async () => {
  let r = await capture(() => main(['--dataset', 'mnsit', '--out', path.join(root, 'bad1')]));
  assert.equal(r.code, 2);
  assert.equal(r.lines.length, 1);
  assert.match(r.lines[0], /--dataset.*"mnsit" is neither a data set name nor a folder; valid: mnist, fashion-mnist, cifar10:DIR .* or DIR/);
  r = await capture(() => main(['--dataset', 'cifar10:', '--out', path.join(root, 'bad2')]));
  assert.equal(r.code, 2);
  r = await capture(() => main(['--dataset', `cifar10:${path.join(root, 'nope')}`, '--out', path.join(root, 'bad3')]));
  assert.equal(r.code, 1);
  assert.match(r.lines[0], /CIFAR-10 folder missing: .*nope/);
  const empty = path.join(root, 'empty-idx');
  fs.mkdirSync(empty);
  r = await capture(() => main(['--dataset', empty, '--out', path.join(root, 'bad4')]));
  assert.equal(r.code, 1);
  assert.match(r.lines[0], /IDX file missing: .*empty-idx\/train-images-idx3-ubyte/);
  const saved = process.env.AAE_FASHION_MNIST_DIR;
  process.env.AAE_FASHION_MNIST_DIR = path.join(root, 'no-fashion');
  try {
    r = await capture(() => main(['--dataset', 'fashion-mnist', '--model', 'supervised', '--out', path.join(root, 'bad5')]));
  } finally {
    if (saved === undefined) delete process.env.AAE_FASHION_MNIST_DIR;
    else process.env.AAE_FASHION_MNIST_DIR = saved;
  }
  assert.equal(r.code, 1);
  assert.equal(r.lines.length, 1);
  assert.match(r.lines[0], /Fashion-MNIST not found: .*no-fashion does not exist.*dataset-fashion-mnist/);
});

test(
  'aae --dataset fashion-mnist --model supervised --prior gaussian_mixture --n_z 2 trains and names the classes in its figures',
  { skip: !fs.existsSync(FASHION_MNIST_DIR) && `${FASHION_MNIST_DIR} is missing: install Debian's dataset-fashion-mnist (scripts/setup.sh does)` },
  async () => {
    const out = path.join(root, 'fashion');
    const r = await capture(() =>
      main([
        '--dataset',
        'fashion-mnist',
        '--model',
        'supervised',
        '--prior',
        'gaussian_mixture',
        '--n_z',
        '2',
        '--train-size',
        '500',
        '--epochs',
        '1',
        '--hidden',
        '64',
        '--eval-size',
        '500',
        '--no-progress',
        '--out',
        out,
      ]),
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /done: trained the supervised AAE \(gaussian_mixture, n_z 2, 1 epochs\) on fashion-mnist/);
    const svg = fs.readFileSync(path.join(out, 'prior_samples.svg'), 'utf8');
    for (const name of FASHION_MNIST_CLASSES) assert.ok(svg.includes(name), name);
    const ck = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8')) as { config: { dataset: string; classNames: string[]; imageShape?: unknown } };
    assert.equal(ck.config.dataset, 'fashion-mnist');
    assert.deepEqual(ck.config.classNames, FASHION_MNIST_CLASSES);
    assert.equal(ck.config.imageShape, undefined);
  },
);
