/**
 * Seeded pseudo-random numbers. Every random choice in aae-lab (weight init, shuffling, input
 * noise, prior samples, dropout seeds) comes from an `Rng`, so a seeded run is reproducible and
 * its state can be saved in a checkpoint and restored for an exact resume.
 *
 * Generator: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state), seeded
 * through splitmix32. Normals: Box-Muller (both values used).
 */
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

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | null = null;

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
