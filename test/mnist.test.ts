import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultMnistDir, loadMnist, loadMnistRaw, readIdxImages, readIdxLabels, readImageSet, DataError } from '../lib/data/mnist';
import { balancedSubset, batchesPerEpoch, epochOrder, makeBatch, moveImages, shiftImages, warpImages } from '../lib/data/batches';
import { Rng } from '../lib/random';

test('reads the real MNIST IDX files: counts, label histogram, pixel range', () => {
  const t0 = performance.now();
  const raw = loadMnistRaw();
  const ms = performance.now() - t0;
  console.log(`loaded 70,000 MNIST images in ${ms.toFixed(0)} ms`);
  assert.equal(raw.train.count, 60000);
  assert.equal(raw.test.count, 10000);
  assert.equal(raw.train.images.length, 60000 * 784);
  const hist = new Array(10).fill(0);
  for (const l of raw.train.labels) hist[l]++;
  // The well-known MNIST training histogram.
  assert.deepEqual(hist, [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
  let min = Infinity;
  let max = -Infinity;
  for (const v of raw.test.images) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  assert.equal(min, 0);
  assert.equal(max, 1);
  assert.deepEqual([raw.train.labels[0], raw.train.labels[1], raw.test.labels[0]], [5, 0, 7]);
});

test('the original split: 55,000 train (images 5000-59999), 5,000 validation, 10,000 test', () => {
  const m = loadMnist();
  const raw = loadMnistRaw();
  assert.equal(m.train.count, 55000);
  assert.equal(m.validation.count, 5000);
  assert.equal(m.test.count, 10000);
  assert.equal(m.train.labels[0], raw.train.labels[5000]);
  assert.deepEqual(m.validation.images.subarray(0, 784), raw.train.images.subarray(0, 784));
});

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'aae-mnist-'));
}

test('a missing, truncated or wrong-magic file is an error naming the file', () => {
  const dir = tmpDir();
  const src = defaultMnistDir();
  assert.throws(
    () => readIdxImages(path.join(dir, 'nope-idx3-ubyte')),
    (e: Error) => e instanceof DataError && /missing: .*nope-idx3-ubyte/.test(e.message),
  );
  const truncated = path.join(dir, 't10k-images-idx3-ubyte');
  fs.writeFileSync(truncated, fs.readFileSync(path.join(src, 't10k-images-idx3-ubyte')).subarray(0, 5000));
  assert.throws(() => readIdxImages(truncated), /t10k-images-idx3-ubyte: truncated IDX image file: 5000 bytes, expected 7840016/);
  const swapped = path.join(dir, 'labels-as-images');
  fs.copyFileSync(path.join(src, 't10k-labels-idx1-ubyte'), swapped);
  assert.throws(() => readIdxImages(swapped), /labels-as-images: wrong magic number 2049, expected 2051/);
  assert.throws(() => readIdxLabels(path.join(src, 't10k-images-idx3-ubyte')), /wrong magic number 2051, expected 2049/);
  const shortLabels = path.join(dir, 'short-labels');
  fs.writeFileSync(shortLabels, fs.readFileSync(path.join(src, 't10k-labels-idx1-ubyte')).subarray(0, 100));
  assert.throws(() => readImageSet(path.join(src, 't10k-images-idx3-ubyte'), shortLabels), /short-labels: truncated IDX label file/);
});

test('batching: in order or seeded shuffle; full batches only; noise on the encoder input only', () => {
  const m = loadMnist();
  assert.equal(batchesPerEpoch(55000, 128), 429);
  const inOrder = epochOrder(10, null);
  assert.deepEqual(Array.from(inOrder), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const a = epochOrder(1000, new Rng(3));
  const b = epochOrder(1000, new Rng(3));
  const c = epochOrder(1000, new Rng(4));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.deepEqual(
    Array.from(a).sort((x, y) => x - y),
    Array.from(inOrder.length ? epochOrder(1000, null) : []),
  );
  const batch = makeBatch(m.test, epochOrder(m.test.count, null), 2, 64, 0.3, new Rng(1));
  assert.equal(batch.labels[0], m.test.labels[128]);
  assert.deepEqual(batch.x.subarray(0, 784), m.test.images.subarray(128 * 784, 129 * 784));
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < batch.x.length; i++) {
    const d = batch.xNoised[i] - batch.x[i];
    sum += d;
    sq += d * d;
  }
  const mean = sum / batch.x.length;
  const std = Math.sqrt(sq / batch.x.length - mean * mean);
  assert.ok(Math.abs(mean) < 0.01, `noise mean ${mean}`);
  assert.ok(Math.abs(std - 0.3) < 0.01, `noise std ${std}`);
  const clean = makeBatch(m.test, epochOrder(m.test.count, null), 0, 8, 0, new Rng(1));
  assert.equal(clean.xNoised, clean.x);
});

test('balanced labeled subset: N/10 per class, seeded, the rest unlabeled', () => {
  const m = loadMnist();
  const { labeled, unlabeled } = balancedSubset(m.train.labels, 100, new Rng(7));
  assert.equal(labeled.length, 100);
  assert.equal(unlabeled.length, 55000 - 100);
  const hist = new Array(10).fill(0);
  for (const i of labeled) hist[m.train.labels[i]]++;
  assert.deepEqual(hist, new Array(10).fill(10));
  const again = balancedSubset(m.train.labels, 100, new Rng(7));
  assert.deepEqual(again.labeled, labeled);
  const set = new Set(labeled);
  assert.ok(!unlabeled.some((i) => set.has(i)));
  assert.throws(() => balancedSubset(m.train.labels, 105, new Rng(1)), /multiple of 10/);
});

test('shiftImages: each image moved by its own whole-pixel offset within the bound, zeros moved in, seeded', () => {
  // Pixel value = 1 + its index, so the offset of every output image can be read back exactly.
  const n = 200;
  const x = new Float32Array(n * 784);
  for (let i = 0; i < x.length; i++) x[i] = 1 + (i % 784);
  const offsetOf = (img: Float32Array): [number, number] | null => {
    for (let dy = -3; dy <= 3; dy++) {
      for (let dx = -3; dx <= 3; dx++) {
        let ok = true;
        for (let r = 0; r < 28 && ok; r++) {
          for (let c = 0; c < 28 && ok; c++) {
            const [sr, sc] = [r - dy, c - dx];
            const want = sr >= 0 && sr < 28 && sc >= 0 && sc < 28 ? 1 + sr * 28 + sc : 0;
            ok = img[r * 28 + c] === want;
          }
        }
        if (ok) return [dx, dy];
      }
    }
    return null;
  };
  const y = shiftImages(x, 2, new Rng(3));
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const o = offsetOf(y.subarray(i * 784, (i + 1) * 784));
    assert.ok(o !== null, `image ${i} is not a whole-pixel shift of the input`);
    assert.ok(Math.abs(o[0]) <= 2 && Math.abs(o[1]) <= 2, `offset ${o} beyond 2 pixels`);
    seen.add(o.join(','));
  }
  assert.equal(seen.size, 25, 'every offset in [-2, 2]^2 occurs among 200 images');
  assert.deepEqual(shiftImages(x, 2, new Rng(3)), y, 'same seed, same shifts');
  assert.notDeepEqual(shiftImages(x, 2, new Rng(4)), y);
  assert.equal(x[0], 1, 'the input is left alone');
  const rng = new Rng(5);
  const before = rng.getState();
  assert.deepEqual(shiftImages(x, 0, rng), x, 'maxShift 0 copies');
  assert.deepEqual(rng.getState(), before, 'maxShift 0 draws nothing');
  assert.throws(() => shiftImages(x, 28, new Rng(0)), /maxShift must be an integer from 0 to 27, got 28/);
  assert.throws(() => shiftImages(new Float32Array(100), 1, new Rng(0)), /100 values are not whole 28x28 images/);
});

test('warpImages: each image turned, scaled and moved about its centre within the bounds, bilinear, seeded', () => {
  // One bright 2x2 square per image, 8 px right of the centre (13.5, 13.5): the warp moves its
  // centroid to centre + s R (offset) + d, so its distance from the centre (without a move) is 8 s
  // and its angle the turn.
  const n = 300;
  const x = new Float32Array(n * 784);
  for (let i = 0; i < n; i++)
    for (const [r, c] of [
      [13, 21],
      [13, 22],
      [14, 21],
      [14, 22],
    ])
      x[i * 784 + r * 28 + c] = 1;
  const centroid = (img: Float32Array) => {
    let m = 0,
      mr = 0,
      mc = 0;
    for (let r = 0; r < 28; r++)
      for (let c = 0; c < 28; c++) {
        const v = img[r * 28 + c];
        m += v;
        mr += v * r;
        mc += v * c;
      }
    return { mass: m, r: mr / m - 13.5, c: mc / m - 13.5 };
  };
  assert.deepEqual(warpImages(x, { rotate: 0, scale: 0, shift: 0 }, new Rng(1)), x, 'no warp copies');
  const turned = warpImages(x, { rotate: 30, scale: 0, shift: 0 }, new Rng(2));
  const angles: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = centroid(turned.subarray(i * 784, (i + 1) * 784));
    assert.ok(Math.abs(Math.hypot(p.r, p.c) - 8) < 0.25, `image ${i}: a turn keeps the distance from the centre (${Math.hypot(p.r, p.c)})`);
    assert.ok(Math.abs(p.mass - 4) < 0.4, `image ${i}: bilinear resampling keeps the mass (${p.mass})`);
    angles.push((Math.atan2(-p.r, p.c) * 180) / Math.PI);
  }
  assert.ok(Math.max(...angles.map(Math.abs)) <= 30.5, 'every turn within ±30 degrees');
  assert.ok(Math.min(...angles) < -25 && Math.max(...angles) > 25, 'turns spread over the range');
  const scaled = warpImages(x, { rotate: 0, scale: 0.2, shift: 0 }, new Rng(3));
  const dist = Array.from({ length: n }, (_, i) => centroid(scaled.subarray(i * 784, (i + 1) * 784)).c);
  assert.ok(Math.min(...dist) > 8 * 0.8 - 0.3 && Math.max(...dist) < 8 * 1.2 + 0.3, 'scales within 1 ± 0.2');
  assert.ok(Math.min(...dist) < 6.9 && Math.max(...dist) > 9.1, 'scales spread over the range');
  const moved = warpImages(x, { rotate: 0, scale: 0, shift: 2 }, new Rng(4));
  for (let i = 0; i < n; i++) {
    const p = centroid(moved.subarray(i * 784, (i + 1) * 784));
    assert.ok(Math.abs(p.c - 8) <= 2.01 && Math.abs(p.r) <= 2.01, `image ${i}: moved within ±2 px`);
  }
  assert.deepEqual(warpImages(x, { rotate: 30, scale: 0.2, shift: 2 }, new Rng(5)), warpImages(x, { rotate: 30, scale: 0.2, shift: 2 }, new Rng(5)), 'same seed, same warps');
  assert.equal(x[13 * 28 + 21], 1, 'the input is left alone');
  assert.throws(() => warpImages(new Float32Array(100), { rotate: 1, scale: 0, shift: 0 }, new Rng(0)), /100 values are not whole 28x28 images/);
});

test('warpImages: the elastic distortion is a smooth random displacement per image, alpha times a smoothed field, seeded', () => {
  // On a ramp along the columns (value c / 27) bilinear resampling is exact, so an inner pixel's
  // value tells its source column: the displacement along the columns; a ramp along the rows tells
  // the other axis's.
  const n = 40;
  const ramp = (alongRows: boolean) => {
    const x = new Float32Array(n * 784);
    for (let i = 0; i < n; i++) for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) x[i * 784 + r * 28 + c] = (alongRows ? r : c) / 27;
    return x;
  };
  const inner: number[] = [];
  for (let r = 6; r < 22; r++) for (let c = 6; c < 22; c++) inner.push(r * 28 + c);
  const displacement = (x: Float32Array, out: Float32Array, alongRows: boolean) =>
    Array.from({ length: n }, (_, i) => inner.map((p) => out[i * 784 + p] * 27 - (alongRows ? Math.floor(p / 28) : p % 28)));
  for (const alongRows of [false, true]) {
    const x = ramp(alongRows);
    const d34 = displacement(x, warpImages(x, { rotate: 0, scale: 0, shift: 0, elastic: 34 }, new Rng(7)), alongRows);
    const d17 = displacement(x, warpImages(x, { rotate: 0, scale: 0, shift: 0, elastic: 17 }, new Rng(7)), alongRows);
    const flat = d34.flat();
    const rms = Math.sqrt(flat.reduce((s, v) => s + v * v, 0) / flat.length);
    const mean = flat.reduce((s, v) => s + v, 0) / flat.length;
    // a field uniform in [-1, 1] smoothed by a normalised Gaussian of 4 px: std about 0.577 * 0.07 per unit of alpha
    assert.ok(rms > 1 && rms < 1.8, `alpha 34: rms displacement ${rms} px`);
    assert.ok(Math.abs(mean) < 0.3, `displacements centre on 0 (${mean})`);
    const half = d17.flat();
    assert.ok(
      flat.every((v, k) => Math.abs(v - 2 * half[k]) < 1e-3),
      'the same draws at twice the alpha: twice the displacement',
    );
    // smooth: neighbouring pixels move almost alike; different images differently
    let same = 0,
      diff = 0;
    for (const img of d34) for (let k = 0; k + 1 < img.length; k++) if ((k + 1) % 16 !== 0) same += (img[k + 1] - img[k]) ** 2;
    for (let i = 0; i + 1 < n; i++) for (let k = 0; k < inner.length; k++) diff += (d34[i + 1][k] - d34[i][k]) ** 2;
    assert.ok(same / (n * 15 * 16) < 0.05 * (diff / ((n - 1) * inner.length)), `smooth field: ${same / (n * 15 * 16)} against ${diff / ((n - 1) * inner.length)} between images`);
  }
  const x = ramp(false);
  const warp = { rotate: 10, scale: 0.1, shift: 2, elastic: 34, elasticSigma: 6 };
  assert.deepEqual(warpImages(x, warp, new Rng(3)), warpImages(x, warp, new Rng(3)), 'same seed, same distortion');
  assert.notDeepEqual(warpImages(x, warp, new Rng(3)), warpImages(x, { ...warp, elastic: 0 }, new Rng(3)), 'on top of the affine warp');
  const rng = new Rng(3);
  moveImages(x, { rotate: 0, scale: 0, shift: 0, elastic: 34 }, rng);
  assert.notDeepEqual(rng.getState(), new Rng(3).getState(), 'moveImages distorts with an elastic strength alone');
});
