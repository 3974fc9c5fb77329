import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  gaussian,
  labeledGaussian,
  gaussianMixture,
  swissRoll,
  gaussianSector,
  sampleLabeled,
  sampleUnlabeled,
  categorical,
  checkPrior,
  checkPriorModes,
  randomLabels,
  MIXTURE,
  PRIOR_NAMES,
  getPrior,
  isPriorName,
  priorChoices,
  registerPrior,
  modeCentres,
  type Prior,
} from '../lib/priors';
import { assignModes, modeAccuracy } from '../lib/eval/metrics';
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

test('the built-in priors are values: registered by name, drawing the stream exactly as the sampling functions', () => {
  for (const name of PRIOR_NAMES) {
    const p = getPrior(name);
    assert.equal(p.name, name);
    assert.equal(p.modes, 10);
    assert.equal(getPrior(p), p);
    assert.ok(isPriorName(name));
  }
  const same = (a: { z: Float32Array; labels: Uint8Array }, b: { z: Float32Array; labels: Uint8Array }) => {
    assert.deepEqual(a.z, b.z);
    assert.deepEqual(a.labels, b.labels);
  };
  for (const nZ of [2, 4]) {
    same(getPrior('gaussian').sample(300, nZ, new Rng(1)), labeledGaussian(300, nZ, new Rng(1)));
    const r = new Rng(2);
    same(getPrior('gaussian_mixture').sample(300, nZ, new Rng(2)), gaussianMixture(randomLabels(300, r), nZ, r));
    const q = new Rng(3);
    same(getPrior('swiss_roll').sample(300, nZ, new Rng(3)), swissRoll(randomLabels(300, q), nZ, q));
  }
  // the style code's gaussian: N(0, I) in any n_z, coloured by the first pair's sector
  const g = getPrior('gaussian').sampleUnlabeled!(200, 3, new Rng(4));
  assert.deepEqual(g.z, gaussian(200, 3, new Rng(4)).z);
  for (let i = 0; i < 200; i++) assert.equal(g.labels[i], gaussianSector(g.z[3 * i], g.z[3 * i + 1]));
  // the regions the manifold figures cover
  assert.deepEqual(
    PRIOR_NAMES.map((n) => getPrior(n).region),
    [
      [-2, 2],
      [-2.5, 2.5],
      [-3, 3],
    ],
  );
});

test('gaussian_mixture:K: K modes evenly around the circle, any K; the same shapes with K modes for the other built-ins', () => {
  for (const K of [3, 16, 30]) {
    const p = getPrior(`gaussian_mixture:${K}`);
    assert.equal(p.name, `gaussian_mixture:${K}`);
    assert.equal(p.modes, K);
    assert.equal(getPrior(`gaussian_mixture:${K}`), p); // one instance per name
    const shift = MIXTURE.shift * Math.max(1, K / 10);
    assert.deepEqual(p.region, [-(shift + 1.1), shift + 1.1]);
    const { z, labels } = p.sample(6000, 2, new Rng(K));
    const counts = new Array(K).fill(0);
    for (const l of labels) counts[l]++;
    for (const c of counts) assert.ok(Math.abs(c - 6000 / K) < 5 * Math.sqrt(6000 / K), `mode count ${c} of ${K}`);
    for (const k of [0, K - 1]) {
      const r = (2 * Math.PI * k) / K;
      const along = [];
      for (let i = 0; i < labels.length; i++) if (labels[i] === k) along.push(z[2 * i] * Math.cos(r) + z[2 * i + 1] * Math.sin(r));
      assert.ok(Math.abs(stats(along).mean - shift) < 0.1, `K ${K} mode ${k}: radius ${stats(along).mean}`);
    }
    // its density puts the centres in their own modes and most samples in theirs
    assert.deepEqual(
      Array.from(assignModes(modeCentres('gaussian_mixture', K), 2, p)),
      Array.from({ length: K }, (_, k) => k),
    );
    assert.ok(modeAccuracy(z, labels, 2, p) > 0.95, `K ${K}`);
  }
  // K = 10 is the original's mixture, under another name
  assert.deepEqual(getPrior('gaussian_mixture:10').sample(50, 2, new Rng(1)).z, getPrior('gaussian_mixture').sample(50, 2, new Rng(1)).z);
  // the gaussian's K - 1 sectors and the swiss roll's K segments
  const g3 = getPrior('gaussian:3').sample(3000, 2, new Rng(5));
  assert.deepEqual([...new Set(g3.labels)].sort(), [0, 1, 2]);
  assert.equal(modeAccuracy(g3.z, g3.labels, 2, 'gaussian:3'), 1);
  const s4 = getPrior('swiss_roll:4').sample(3000, 4, new Rng(6));
  assert.ok(modeAccuracy(s4.z, s4.labels, 4, 'swiss_roll:4') > 0.99);
  for (const bad of ['gaussian_mixture:1', 'gaussian_mixture:0', 'gaussian_mixture:07', 'gaussian_mixture:257', 'gaussian_mixture:', 'cauchy:3']) {
    assert.equal(isPriorName(bad), false, bad);
    assert.throws(() => getPrior(bad), /unknown prior/, bad);
  }
  assert.deepEqual(priorChoices().slice(-3), ['gaussian:K', 'gaussian_mixture:K', 'swiss_roll:K']);
});

test('registerPrior: a prior of your own by name; built-in names kept; bad objects refused with the reason', () => {
  const mine = (name: string): Prior => ({ name, modes: 2, region: [-1, 1], sample: (n, nZ, rng) => ({ z: rng.fillNormal(new Float32Array(n * nZ), 0, 1), labels: new Uint8Array(n) }) });
  assert.throws(() => getPrior('blob2'), /unknown prior "blob2"; valid choices: gaussian, gaussian_mixture, swiss_roll, .*registerPrior/);
  const a = registerPrior(mine('blob2'));
  assert.equal(getPrior('blob2'), a);
  assert.ok(priorChoices().includes('blob2'));
  const b = registerPrior(mine('blob2')); // a notebook cell run again: the newer one
  assert.equal(getPrior('blob2'), b);
  assert.throws(() => registerPrior(mine('swiss_roll')), /"swiss_roll" is a built-in prior's name/);
  assert.throws(() => registerPrior({ ...mine('x'), modes: 1.5 }), /modes must be an integer from 1 to 256/);
  assert.throws(() => registerPrior({ ...mine('x'), sample: undefined as never }), /sample\(n, nZ, rng\) must be a function/);
  assert.throws(() => registerPrior({ ...mine('x'), region: [0, Infinity] }), /region must be \[lo, hi\]/);
  // the supervised model's use: modes = the data set's classes
  assert.doesNotThrow(() => checkPriorModes('gaussian_mixture', 10));
  assert.throws(() => checkPriorModes('gaussian_mixture', 3), /prior "gaussian_mixture" has 10 modes, the data set has 3 classes.*e\.g\. gaussian_mixture:3/);
  assert.throws(() => checkPriorModes('swiss_roll:16', 10), /has 16 modes.*e\.g\. swiss_roll$/);
  assert.throws(() => checkPrior({ ...mine('y'), modes: undefined }, 2, true), /prior "y" has no modes/);
  assert.doesNotThrow(() => checkPrior({ ...mine('y'), modes: undefined }, 3, false));
  // the sampling functions take a Prior or a name
  assert.equal(sampleUnlabeled(b, 4, 3, new Rng(1)).z.length, 12);
});
