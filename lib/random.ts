/**
 * Seeded pseudo-random numbers. Every random choice in aae-lab (weight init, shuffling, input
 * noise, prior samples, dropout seeds) comes from an `Rng`, so a seeded run is reproducible and
 * its state can be saved in a checkpoint and restored for an exact resume.
 *
 * Generator: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state), seeded
 * through splitmix32. Normals: Box-Muller (both values used); bulk normals (addNormal, the input
 * noise): Marsaglia and Tsang's ziggurat over the same stream.
 */
import { loadNativeAddon } from './backend/addon';

export type RngState = [number, number, number, number, number | null];

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * Ziggurat tables for the standard normal (Marsaglia & Tsang 2000, 128 layers). A 32-bit draw gives
 * the layer (low 7 bits) and a signed 25-bit value (the rest), so the two are independent bits.
 */
const ZIG_R = 3.442619855899;
const ZIG_SCALE = 2 ** 24;
const zigK = new Int32Array(128);
const zigW = new Float64Array(128);
const zigF = new Float64Array(128);
{
  const v = 9.91256303526217e-3;
  let dn = ZIG_R;
  let tn = dn;
  const q = v / Math.exp(-0.5 * dn * dn);
  zigK[0] = Math.floor((dn / q) * ZIG_SCALE);
  zigK[1] = 0;
  zigW[0] = q / ZIG_SCALE;
  zigW[127] = dn / ZIG_SCALE;
  zigF[0] = 1;
  zigF[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(v / dn + Math.exp(-0.5 * dn * dn)));
    zigK[i + 1] = Math.floor((dn / tn) * ZIG_SCALE);
    tn = dn;
    zigF[i] = Math.exp(-0.5 * dn * dn);
    zigW[i] = dn / ZIG_SCALE;
  }
}

/**
 * The ziggurat's common case over out (sfc32 on int32 state st, updated): out[i] = x[i] + std * z
 * for draws inside a box; returns [index, draw] pairs of the others.
 */
function zigFast(out: Float32Array, x: ArrayLike<number>, std: number, st: Int32Array): number[] {
  let a = st[0];
  let b = st[1];
  let c = st[2];
  let d = st[3];
  const rare: number[] = [];
  for (let i = 0; i < out.length; i++) {
    const u = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + u) | 0;
    const layer = u & 127;
    const hz = u >> 7;
    if ((hz < 0 ? -hz : hz) < zigK[layer]) out[i] = x[i] + std * (hz * zigW[layer]);
    else rare.push(i, u);
  }
  st[0] = a;
  st[1] = b;
  st[2] = c;
  st[3] = d;
  return rare;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | null = null;
  /** Scratch for addNormal: the state as int32. */
  private readonly state32 = new Int32Array(4);
  /** Scratch for the native addNormal: (index, draw) pairs of the draws outside the boxes. */
  private rare = new Int32Array(0);

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Rng seed must be a finite number, got ${seed}`);
    const sm = splitmix32(Math.floor(seed));
    this.a = sm();
    this.b = sm();
    this.c = sm();
    this.d = sm();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal N(0, 1). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fill `out` with N(mean, std) samples. */
  fillNormal(out: Float32Array, mean = 0, std = 1): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /**
   * out[i] = x[i] + std * z_i with z_i standard normals from the ziggurat (several times faster
   * than normal(); it draws from the same stream and neither uses nor leaves a Box-Muller spare).
   */
  addNormal(out: Float32Array, x: ArrayLike<number>, std: number): Float32Array {
    // nextUint32 inlined on int32 locals (the same bits; V8 keeps them unboxed). The ~1% of draws
    // outside the ziggurat's boxes are finished after the loop, in order, with further numbers.
    const st = this.state32;
    st[0] = this.a;
    st[1] = this.b;
    st[2] = this.c;
    st[3] = this.d;
    // The native addon, where built, runs the same loop (the same bits) several times faster.
    const addon = x instanceof Float32Array && x.length >= out.length ? loadNativeAddon().addon : null;
    let rare: ArrayLike<number>;
    let pairs: number;
    if (addon) {
      if (this.rare.length < 2 * out.length) this.rare = new Int32Array(2 * out.length);
      pairs = addon.zigNormal(out, x as Float32Array, std, st, zigK, zigW, this.rare);
      rare = this.rare;
    } else {
      rare = zigFast(out, x, std, st);
      pairs = rare.length / 2;
    }
    this.a = st[0] >>> 0;
    this.b = st[1] >>> 0;
    this.c = st[2] >>> 0;
    this.d = st[3] >>> 0;
    for (let j = 0; j < 2 * pairs; j += 2) {
      const i = rare[j];
      const u = rare[j + 1];
      out[i] = x[i] + std * this.zigTail(u >> 7, u & 127);
    }
    return out;
  }

  /** A uniform number in (0, 1) from one 32-bit draw: the ziggurat's rare cases' uniforms. */
  private uniform01(): number {
    return (this.nextUint32() + 0.5) / 4294967296;
  }

  /** The ziggurat's rare cases: the base strip with the tail beyond ZIG_R, and the wedges of the layers. */
  private zigTail(hz: number, layer: number): number {
    for (;;) {
      const x = hz * zigW[layer];
      if (layer === 0) {
        let t: number;
        let y: number;
        do {
          t = -Math.log(this.uniform01()) / ZIG_R;
          y = -Math.log(this.uniform01());
        } while (y + y < t * t);
        return hz > 0 ? ZIG_R + t : -ZIG_R - t;
      }
      if (zigF[layer] + this.uniform01() * (zigF[layer - 1] - zigF[layer]) < Math.exp(-0.5 * x * x)) return x;
      const u = this.nextUint32() | 0;
      layer = u & 127;
      hz = u >> 7;
      if ((hz < 0 ? -hz : hz) < zigK[layer]) return hz * zigW[layer];
    }
  }

  /** A seed for a tfjs op that takes one (dropout): a 31-bit integer from this stream. */
  seed(): number {
    return this.nextUint32() >>> 1;
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T extends { length: number; [i: number]: number }>(arr: T): T {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = arr[i];
      arr[i] = arr[j];
      arr[j] = t;
    }
    return arr;
  }

  /** An independent generator derived from this one (advances this one). */
  fork(): Rng {
    return new Rng(this.nextUint32());
  }

  getState(): RngState {
    return [this.a, this.b, this.c, this.d, this.spare];
  }

  setState(s: RngState): void {
    if (!Array.isArray(s) || s.length !== 5) throw new Error('invalid Rng state');
    [this.a, this.b, this.c, this.d] = s.slice(0, 4).map((v) => Number(v) >>> 0);
    this.spare = s[4] === null ? null : Number(s[4]);
  }
}
