import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../lib/random';
import { loadNativeAddon } from '../lib/backend/addon';

test('Rng.addNormal (ziggurat): seeded, resumable from getState, x + std * N(0, 1)', () => {
  const n = 1 << 20;
  const x = Float32Array.from({ length: n }, (_, i) => (i % 7) / 7);
  const a = new Rng(12).addNormal(new Float32Array(n), x, 0.3);
  const b = new Rng(12).addNormal(new Float32Array(n), x, 0.3);
  assert.deepEqual(a, b, 'same seed, same values');
  assert.notDeepEqual(a.subarray(0, 100), new Rng(13).addNormal(new Float32Array(100), x, 0.3));
  // A state saved between two calls resumes the stream exactly (as a checkpoint does).
  const r = new Rng(14);
  r.addNormal(new Float32Array(1000), x, 1);
  const saved = r.getState();
  const next = r.addNormal(new Float32Array(5000), x, 1);
  const resumed = new Rng(0);
  resumed.setState(JSON.parse(JSON.stringify(saved)));
  assert.deepEqual(resumed.addNormal(new Float32Array(5000), x, 1), next);
  assert.equal(resumed.uniform(), r.uniform(), 'the uniform stream continues in step');

  const z = Float64Array.from(a, (v, i) => (v - x[i]) / 0.3);
  let m = 0,
    v = 0,
    k4 = 0,
    t2 = 0,
    t3 = 0;
  for (const q of z) {
    m += q;
    v += q * q;
    k4 += q ** 4;
    if (Math.abs(q) > 2) t2++;
    if (Math.abs(q) > 3) t3++;
  }
  m /= n;
  v /= n;
  k4 /= n;
  const se = (p: number) => Math.sqrt(p / n);
  assert.ok(Math.abs(m) < 5 / Math.sqrt(n), `mean ${m}`);
  assert.ok(Math.abs(v - 1) < 5 * Math.sqrt(2 / n), `variance ${v}`);
  assert.ok(Math.abs(k4 - 3) < 5 * Math.sqrt(96 / n), `fourth moment ${k4}`);
  assert.ok(Math.abs(t2 / n - 0.0455003) < 5 * se(0.0455), `P(|z| > 2) ${t2 / n}`);
  assert.ok(Math.abs(t3 / n - 0.0026998) < 5 * se(0.0027), `P(|z| > 3) ${t3 / n}`);
  // Kolmogorov-Smirnov distance to the normal CDF (erf by Abramowitz-Stegun 7.1.26, error < 1.5e-7).
  const erf = (t: number) => {
    const s = 1 / (1 + 0.3275911 * Math.abs(t));
    const y = 1 - ((((1.061405429 * s - 1.453152027) * s + 1.421413741) * s - 0.284496736) * s + 0.254829592) * s * Math.exp(-t * t);
    return t >= 0 ? y : -y;
  };
  const sorted = Float64Array.from(z).sort();
  let ks = 0;
  for (let i = 0; i < n; i += 7) ks = Math.max(ks, Math.abs(0.5 * (1 + erf(sorted[i] / Math.SQRT2)) - (i + 0.5) / n));
  assert.ok(ks < 1.63 / Math.sqrt(n), `KS distance ${ks}`);
});

test(
  'Rng.addNormal: the native addon, where built, gives the bits of the JavaScript loop, rare draws and state included',
  { skip: loadNativeAddon().addon ? false : 'the native addon is not built' },
  () => {
    const n = 300_000; // ~1% of the draws fall outside the ziggurat's boxes: thousands of rare cases
    const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 0.5 + 0.5);
    for (const std of [0.3, 1, 2.5]) {
      const native = new Rng(21);
      const js = new Rng(21);
      const a = native.addNormal(new Float32Array(n), x, std); // Float32Array input: the native loop
      const b = js.addNormal(new Float32Array(n), Array.from(x), std); // a plain array: the JavaScript loop
      assert.ok(
        a.every((v, i) => Object.is(v, b[i])),
        `std ${std}: the same values`,
      );
      assert.deepEqual(native.getState(), js.getState(), `std ${std}: the same state after`);
    }
  },
);
