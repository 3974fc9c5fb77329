import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gaussian, labeledGaussian, gaussianMixture, swissRoll, gaussianSector, sampleLabeled, sampleUnlabeled, categorical, checkPrior, randomLabels, MIXTURE } from '../lib/priors';
import { Rng } from '../lib/random';

function stats(v: number[]): { mean: number; std: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  return { mean, std };
}

test('gaussian: N(0, 1) in any n_z', () => {
  const n = 20000;
  for (const nZ of [1, 3, 20]) {
    const { z } = gaussian(n, nZ, new Rng(1));
    assert.equal(z.length, n * nZ);
    for (let d = 0; d < nZ; d += Math.max(1, nZ - 1)) {
      const s = stats(Array.from({ length: n }, (_, i) => z[i * nZ + d]));
      assert.ok(Math.abs(s.mean) < 0.03, `mean ${s.mean}`);
      assert.ok(Math.abs(s.std - 1) < 0.03, `std ${s.std}`);
    }
  }
});

test('seeded: same seed same samples; successive batches differ (the original reseeded every call)', () => {
  const a = gaussianMixture([1, 2, 3], 2, new Rng(9)).z;
  const b = gaussianMixture([1, 2, 3], 2, new Rng(9)).z;
  assert.deepEqual(a, b);
  const rng = new Rng(9);
  const first = sampleLabeled('swiss_roll', 50, 2, rng).z;
  const second = sampleLabeled('swiss_roll', 50, 2, rng).z;
  assert.notDeepEqual(first, second);
});

test('gaussian mixture: sample of label k sits in mode k with spreads 0.5 and 0.1 along the rotated axes', () => {
  const n = 5000;
  for (const k of [0, 3, 7]) {
    const { z, labels } = gaussianMixture(new Array(n).fill(k), 2, new Rng(k));
    assert.ok(labels.every((l) => l === k));
    const r = (2 * Math.PI * k) / 10;
    // Rotate back into the mode's own axes.
    const u = Array.from({ length: n }, (_, i) => z[2 * i] * Math.cos(r) + z[2 * i + 1] * Math.sin(r));
    const w = Array.from({ length: n }, (_, i) => -z[2 * i] * Math.sin(r) + z[2 * i + 1] * Math.cos(r));
    const su = stats(u);
    const sw = stats(w);
    assert.ok(Math.abs(su.mean - MIXTURE.shift) < 0.03, `mode ${k} radial mean ${su.mean}`);
    assert.ok(Math.abs(sw.mean) < 0.01, `mode ${k} tangential mean ${sw.mean}`);
    assert.ok(Math.abs(su.std - 0.5) < 0.02, `radial std ${su.std}`);
    assert.ok(Math.abs(sw.std - 0.1) < 0.005, `tangential std ${sw.std}`);
  }
});

test('swiss roll: label k lies on segment k (radius 3*sqrt(u), u in [k/10, (k+1)/10))', () => {
  const labels = randomLabels(3000, new Rng(2));
  const { z } = swissRoll(labels, 2, new Rng(3));
  for (let i = 0; i < labels.length; i++) {
    const r = Math.hypot(z[2 * i], z[2 * i + 1]);
    const u = (r / 3) ** 2;
    assert.ok(u >= labels[i] / 10 - 1e-6 && u < (labels[i] + 1) / 10 + 1e-6, `label ${labels[i]} radius ${r}`);
    // angle = 4*pi*sqrt(u)
    const a = 4 * Math.PI * Math.sqrt(u);
    assert.ok(Math.abs(z[2 * i] - r * Math.cos(a)) < 1e-4 && Math.abs(z[2 * i + 1] - r * Math.sin(a)) < 1e-4);
  }
});

test('labeled gaussian: label 0 inside the unit circle, else 40-degree sectors 1-9 as the original', () => {
  assert.equal(gaussianSector(0.5, 0.5), 0);
  assert.equal(gaussianSector(2, 0.01), 1); // ~0 degrees
  assert.equal(gaussianSector(0, 2), 3); // 90 degrees: (int)(9*90)//360 = 2 -> 3
  assert.equal(gaussianSector(-2, 0.01), 5); // ~180 degrees
  assert.equal(gaussianSector(2, -0.5), 9); // ~-14 degrees -> -1 + 9 + 1
  assert.equal(gaussianSector(-2, -0.5), 5); // ~-166 degrees
  const { z, labels } = labeledGaussian(20000, 4, new Rng(4));
  const counts = new Array(10).fill(0);
  for (let i = 0; i < labels.length; i++) {
    counts[labels[i]]++;
    assert.equal(gaussianSector(z[4 * i], z[4 * i + 1]), labels[i]);
    // the second pair is drawn in the same sector (n_z > 2 generalisation)
    assert.equal(gaussianSector(z[4 * i + 2], z[4 * i + 3]), labels[i]);
  }
  const p0 = counts[0] / 20000;
  assert.ok(Math.abs(p0 - (1 - Math.exp(-0.5))) < 0.015, `P(label 0) ${p0}`);
  for (let k = 1; k < 10; k++) assert.ok(Math.abs(counts[k] / 20000 - Math.exp(-0.5) / 9) < 0.01, `P(label ${k})`);
});

test('label-conditioned priors at n_z 4: every pair of dimensions follows the label', () => {
  const labels = new Uint8Array(1000).fill(6);
  const { z } = gaussianMixture(labels, 4, new Rng(5));
  const r = (2 * Math.PI * 6) / 10;
  for (const p of [0, 2]) {
    const u = stats(Array.from({ length: 1000 }, (_, i) => z[4 * i + p] * Math.cos(r) + z[4 * i + p + 1] * Math.sin(r)));
    assert.ok(Math.abs(u.mean - 1.4) < 0.05);
  }
});

test('unsupported n_z is a clear error; gaussian accepts any n_z when unlabeled', () => {
  assert.throws(() => checkPrior('gaussian_mixture', 3, false), /needs an even n_z.*got 3/);
  assert.throws(() => checkPrior('swiss_roll', 1, true), /needs an even n_z/);
  assert.throws(() => checkPrior('gaussian', 3, true), /gaussian" with labels needs an even n_z/);
  assert.throws(() => checkPrior('cauchy', 2, true), /unknown prior "cauchy"; valid choices: gaussian, gaussian_mixture, swiss_roll/);
  assert.doesNotThrow(() => checkPrior('gaussian', 3, false));
  assert.equal(sampleUnlabeled('gaussian', 5, 3, new Rng(1)).z.length, 15);
});

test('categorical prior: one-hot rows of uniform labels', () => {
  const { y, labels } = categorical(10000, new Rng(6));
  const counts = new Array(10).fill(0);
  for (let i = 0; i < 10000; i++) {
    let sum = 0;
    for (let k = 0; k < 10; k++) sum += y[i * 10 + k];
    assert.equal(sum, 1);
    assert.equal(y[i * 10 + labels[i]], 1);
    counts[labels[i]]++;
  }
  for (const c of counts) assert.ok(Math.abs(c - 1000) < 120, `count ${c}`);
});
