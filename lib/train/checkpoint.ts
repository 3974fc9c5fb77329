/**
 * Checkpoints: one file holding the config, the trainer's state (epoch, position, generator state,
 * history), every weight and every optimizer's moments. Layout:
 *   "AAECKPT1" | u32 header length | u32 CRC-32 of all that follows | header JSON (space-padded to 4) | float32 data
 * Written atomically (writeFileAtomic: temporary file in the same folder, every byte, size check, fsync,
 * rename), so a crash or a full disk mid-write leaves
 * the previous checkpoint intact; a damaged file fails its CRC and loads nothing.
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, type AAEModel, type NetworkRole, type NetworkSet } from '../models';
import { CONFIG_FIELDS_ADDED, validateConfig, type AAEConfig } from '../models/config';
import type { Trainer, TrainerState, TrainCallbacks, TrainOutcome } from './trainer';
import { Rng } from '../random';
import { isPriorName, priorChoices, registerPrior, type Prior, type PriorName } from '../priors';
import { writeFileAtomic } from '../atomic-write';

export { writeFileAtomic, removeStaleTemporaries, WriteError } from '../atomic-write';
import { ConfigError } from '../errors';

const MAGIC = Buffer.from('AAECKPT1', 'latin1');
export const CHECKPOINT_FILE = 'checkpoint.aae';

interface Entry {
  name: string;
  shape: number[];
  offset: number;
  length: number;
}

interface Header {
  format: 1;
  savedAt: string;
  config: AAEConfig;
  trainer: TrainerState | null;
  weights: Entry[];
  optimizers: { name: string; t: number; m: Entry[]; v: Entry[] }[];
  meta: Record<string, unknown>;
  /** The model's networks by role: passed by value or built in, and what they are (absent in older checkpoints: all built in). */
  networks?: Partial<Record<NetworkRole, { given: boolean; describe: string }>>;
  /** config.weightAverage > 0: the running average of the encoder's and decoder's weights (updates t; the values in WeightAverage's order). */
  average?: { t: number; values: Entry[] };
}

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

function crc32(buf: Uint8Array): number {
  const f = (zlib as unknown as { crc32?: (b: Uint8Array) => number }).crc32;
  if (f) return f(buf) >>> 0;
  let c = ~0;
  for (let i = 0; i < buf.length; i++) {
    c ^= buf[i];
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

export function saveCheckpoint(file: string, model: AAEModel, trainer: TrainerState | null, meta: Record<string, unknown> = {}): void {
  const chunks: Float32Array[] = [];
  let offset = 0;
  const add = (name: string, shape: number[], data: Float32Array): Entry => {
    chunks.push(data);
    const e = { name, shape, offset, length: data.length };
    offset += data.length;
    return e;
  };
  const weights = model.namedWeights().map(([name, v]) => {
    const data = v.dataSync() as Float32Array;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) {
        throw new CheckpointError(`not saving a checkpoint to ${file}: weight ${name} holds ${data[i]} (training diverged); the previous checkpoint is kept`);
      }
    }
    return add(name, v.shape, data);
  });
  const optimizers = Object.entries(model.optimizers).map(([name, opt]) => {
    const st = opt.getState();
    return {
      name,
      t: st.t,
      m: st.m.map((d, i) => add(`${name}/m/${i}`, opt.vars[i].shape, d)),
      v: st.v.map((d, i) => add(`${name}/v/${i}`, opt.vars[i].shape, d)),
    };
  });
  const avg = model.weightAverage?.getState();
  const average = avg ? { t: avg.t, values: avg.averages.map((d, i) => add(`average/${i}`, model.weightAverage!.vars[i].shape, d)) } : undefined;
  const networks = Object.fromEntries(Object.entries(model.networks()).map(([role, net]) => [role, { given: model.given.has(role as NetworkRole), describe: net.describe() }]));
  const header: Header = { format: 1, savedAt: new Date().toISOString(), config: model.config, trainer, weights, optimizers, meta, networks, average };
  let json = JSON.stringify(header);
  json += ' '.repeat((4 - (Buffer.byteLength(json) % 4)) % 4);
  const headerBuf = Buffer.from(json, 'utf8');
  // One buffer for the whole file (16-byte head, header, floats), reused while the size stays the
  // same: a fresh 70 MB buffer per epoch cost ~0.3 s in page faults and copies.
  const size = 16 + headerBuf.length + offset * 4;
  if (!fileBuffer || fileBuffer.length !== size) fileBuffer = Buffer.allocUnsafeSlow(size);
  const out = fileBuffer;
  headerBuf.copy(out, 16);
  const floats = new Float32Array(out.buffer, out.byteOffset + 16 + headerBuf.length, offset);
  let o = 0;
  for (const c of chunks) {
    floats.set(c, o);
    o += c.length;
  }
  MAGIC.copy(out, 0);
  out.writeUInt32LE(headerBuf.length, 8);
  out.writeUInt32LE(crc32(out.subarray(16)), 12);
  writeFileAtomic(file, out);
}

/** The last checkpoint's file buffer (see saveCheckpoint). */
let fileBuffer: Buffer | null = null;

export interface LoadedCheckpoint {
  config: AAEConfig;
  trainer: TrainerState | null;
  meta: Record<string, unknown>;
  model: AAEModel;
}

const count = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** What is wrong with a trainer state read from a file (null: nothing found). */
function trainerStateProblem(t: unknown): string | null {
  if (typeof t !== 'object' || t === null || Array.isArray(t)) return `it is ${Array.isArray(t) ? 'a list' : String(t)}, not an object`;
  const s = t as Record<string, unknown>;
  if (!count(s.epoch) || (s.epoch as number) > 100000) return `epoch is ${JSON.stringify(s.epoch)}; valid: an integer from 0 to 100000`;
  if (!count(s.batch)) return `batch is ${JSON.stringify(s.batch)}; valid: an integer >= 0`;
  if (!Array.isArray(s.history)) return `history is ${JSON.stringify(s.history)}, not a list of epochs`;
  if (s.history.some((h) => typeof h !== 'object' || h === null || !count((h as { epoch?: unknown }).epoch))) return 'history holds an entry that is not an epoch record';
  if (s.history.length > (s.epoch as number) + 1) return `history has ${s.history.length} epochs, more than the ${String(s.epoch)} trained`;
  if (!count(s.labeledCursor)) return `labeledCursor is ${JSON.stringify(s.labeledCursor)}; valid: an integer >= 0`;
  for (const k of ['order', 'labeledOrder'] as const) {
    if (s[k] !== null && !Array.isArray(s[k])) return `${k} is ${JSON.stringify(s[k])}, not a list or null`;
  }
  if (typeof s.sums !== 'object' || s.sums === null) return 'sums is missing';
  if (typeof s.rng !== 'object' || s.rng === null) return 'the random generator state is missing';
  return null;
}

/**
 * Reads and verifies a checkpoint file (CRC, header, config, trainer state); nothing is created
 * unless every check passes.
 */
export function readCheckpoint(file: string): { header: Header; floats: Float32Array } {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new CheckpointError(`cannot read checkpoint ${file}: ${(e as Error).message}`);
  }
  if (buf.length < 16 || !buf.subarray(0, 8).equals(MAGIC)) {
    throw new CheckpointError(`${file} is not an aae-lab checkpoint (bad magic bytes)`);
  }
  const hlen = buf.readUInt32LE(8);
  const body = buf.subarray(16);
  if (hlen > body.length || (body.length - hlen) % 4 !== 0) {
    throw new CheckpointError(`checkpoint ${file} is truncated or damaged (size ${buf.length} bytes does not fit its header)`);
  }
  if (crc32(body) !== buf.readUInt32LE(12)) {
    throw new CheckpointError(`checkpoint ${file} is damaged (CRC-32 mismatch); it was not loaded`);
  }
  let header: Header;
  try {
    header = JSON.parse(body.subarray(0, hlen).toString('utf8')) as Header;
  } catch (e) {
    throw new CheckpointError(`checkpoint ${file} has an unreadable header (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || typeof header.config !== 'object' || !Array.isArray(header.weights) || !Array.isArray(header.optimizers)) {
    throw new CheckpointError(`checkpoint ${file} has an incomplete header (config, weights or optimizers missing)`);
  }
  if (header.format !== 1) throw new CheckpointError(`checkpoint ${file} has format ${header.format}, this version reads format 1`);
  // Checkpoints written before a config field existed get the value that reproduces their training,
  // for every reader (loading, --resume's comparison, --from's preset).
  header.config = { ...CONFIG_FIELDS_ADDED, ...header.config };
  const prior = header.config.prior;
  if (typeof prior === 'string' && /^[A-Za-z0-9_.-]+$/.test(prior) && !isPriorName(prior)) {
    throw new CheckpointError(
      `checkpoint ${file} was trained with the prior "${prior}", which is not known here: pass that prior again ` +
        `(expect { prior } of loadCheckpoint or resumeExperiment, makeConfig({ prior }), or registerPrior) before loading it; known priors: ${priorChoices().join(', ')}`,
    );
  }
  try {
    validateConfig(header.config);
  } catch (e) {
    throw new CheckpointError(`checkpoint ${file} holds an invalid config: ${(e as Error).message}`);
  }
  const bad = header.trainer === null ? null : trainerStateProblem(header.trainer);
  if (bad) throw new CheckpointError(`checkpoint ${file} holds an invalid trainer state: ${bad}`);
  const aligned = new Uint8Array(body.length - hlen);
  aligned.set(body.subarray(hlen));
  return { header, floats: new Float32Array(aligned.buffer) };
}

/** What a loaded checkpoint must match; `prior` may be the Prior object itself (registered, then its name compared). */
export type CheckpointExpect = Partial<Pick<AAEConfig, 'model' | 'nZ' | 'nHidden'>> & { prior?: PriorName | Prior };

/**
 * Loads a checkpoint into a new model. With `expect`, every given field (model, prior, nZ, nHidden)
 * must match the checkpoint's config, else a CheckpointError names the mismatch. A checkpoint of a
 * prior of your own needs that prior passed again (expect.prior) or registered. `epochs`: a new
 * total for a run to be continued; the model's config (saved by later checkpoints) carries it.
 * `networks`: a checkpoint of a model whose networks were passed by value (createExperiment's
 * `networks`) loads only with the same networks passed again (built afresh: the weights are loaded
 * into them); a missing one, or one whose weights differ in name or shape, is a CheckpointError
 * naming the network or the weight, and leaves the networks passed usable.
 */
export function loadCheckpoint(file: string, expect: CheckpointExpect = {}, epochs?: number, networks?: NetworkSet): LoadedCheckpoint {
  if (typeof file !== 'string' || file === '') throw new TypeError(`loadCheckpoint: file must be a path (string), got ${String(file)}`);
  const EXPECT = ['model', 'prior', 'nZ', 'nHidden'];
  for (const [k, v] of Object.entries(expect ?? {})) {
    if (!EXPECT.includes(k)) throw new ConfigError(`loadCheckpoint: unknown expect field "${k}"; valid fields: ${EXPECT.join(', ')}`);
    if (v === undefined) continue;
    if (k === 'prior' && typeof v === 'object' && v !== null) {
      expect = { ...expect, prior: registerPrior(v as Prior).name };
      continue;
    }
    const isInt = k === 'nZ' || k === 'nHidden';
    const intOk = typeof v === 'number' && Number.isInteger(v);
    if (isInt ? !(intOk || (k === 'nHidden' && Array.isArray(v) && v.every((x) => Number.isInteger(x)))) : typeof v !== 'string') {
      throw new ConfigError(`loadCheckpoint: expect.${k} must be ${isInt ? 'an integer' : 'a string'}, got ${JSON.stringify(v) ?? String(v)} (a ${typeof v})`);
    }
  }
  const { header, floats } = readCheckpoint(file);
  const cfg: AAEConfig = epochs !== undefined ? { ...header.config, epochs } : header.config;
  for (const [k, v] of Object.entries(expect)) {
    if (v !== undefined && JSON.stringify((cfg as unknown as Record<string, unknown>)[k]) !== JSON.stringify(v)) {
      throw new CheckpointError(`checkpoint ${file} was trained with ${k} = ${String((cfg as unknown as Record<string, unknown>)[k])}, not ${String(v)}`);
    }
  }
  try {
    validateConfig(cfg);
  } catch (e) {
    throw new CheckpointError(`checkpoint ${file} holds an invalid config: ${(e as Error).message}`);
  }
  for (const [role, n] of Object.entries(header.networks ?? {})) {
    if (n?.given && !networks?.[role as NetworkRole]) {
      throw new CheckpointError(`checkpoint ${file} was trained with networks passed by value (${role}: ${n.describe}); pass the same ${role} again (networks: { ${role} }) to load it`);
    }
  }
  let model: AAEModel;
  try {
    model = createModel(cfg, new Rng(cfg.seed), networks);
  } catch (e) {
    if (e instanceof ConfigError) throw new CheckpointError(`checkpoint ${file}: the networks passed do not fit its model: ${e.message}`);
    throw e;
  }
  try {
    const weights = model.namedWeights();
    const byName = new Map(header.weights.map((e) => [e.name, e]));
    const mine = new Set(weights.map(([n]) => n));
    const extra = header.weights.find((e) => !mine.has(e.name));
    if (extra) {
      const role = extra.name.split('/')[0];
      throw new CheckpointError(
        `checkpoint ${file} holds weight ${extra.name} (shape ${extra.shape.join('x')}), which the model's networks do not have; load it with the networks it was trained with (its ${role}: ${header.networks?.[role as NetworkRole]?.describe ?? describeRole(header, role)})`,
      );
    }
    const missing = weights.find(([n]) => !byName.has(n));
    if (missing) throw new CheckpointError(`checkpoint ${file} has no weight ${missing[0]}; load it with the networks it was trained with`);
    if (weights.length !== header.weights.length) {
      throw new CheckpointError(`checkpoint ${file} holds ${header.weights.length} weights, the model has ${weights.length}`);
    }
    const slice = (e: Entry, shape: number[], what: string) => {
      if (e.shape.join('x') !== shape.join('x')) {
        throw new CheckpointError(`checkpoint ${file}: ${what} has shape ${e.shape.join('x')}, the model expects ${shape.join('x')}`);
      }
      if (e.offset + e.length > floats.length) throw new CheckpointError(`checkpoint ${file}: ${what} lies past the end of the data`);
      return floats.subarray(e.offset, e.offset + e.length);
    };
    tf.tidy(() => {
      for (const [name, v] of weights) {
        const e = byName.get(name);
        if (!e) throw new CheckpointError(`checkpoint ${file} has no weight ${name}; load it with the networks it was trained with`);
        v.assign(tf.tensor(slice(e, v.shape, name), v.shape));
      }
    });
    for (const [name, opt] of Object.entries(model.optimizers)) {
      const st = header.optimizers.find((o) => o.name === name);
      if (!st) throw new CheckpointError(`checkpoint ${file} has no state for optimizer ${name}`);
      if (st.m.length !== opt.vars.length) throw new CheckpointError(`checkpoint ${file}: optimizer ${name} state does not match the model`);
      opt.setState({
        t: st.t,
        m: st.m.map((e, i) => slice(e, opt.vars[i].shape, `${name} m`)),
        v: st.v.map((e, i) => slice(e, opt.vars[i].shape, `${name} v`)),
      });
    }
    const avg = model.weightAverage;
    if (avg) {
      const st = header.average;
      if (!st || !Array.isArray(st.values) || st.values.length !== avg.vars.length || !count(st.t)) {
        throw new CheckpointError(`checkpoint ${file} has no running average of the weights for its weightAverage ${cfg.weightAverage} (or one that does not match the model)`);
      }
      avg.setState({ t: st.t, averages: st.values.map((e, i) => slice(e, avg.vars[i].shape, `average ${i}`)) });
    }
  } catch (e) {
    model.dispose(true);
    throw e;
  }
  return { config: cfg, trainer: header.trainer, meta: header.meta, model };
}

/** A network's weights in a checkpoint, for messages: their names (first few). */
function describeRole(header: Header, prefix: string): string {
  const names = header.weights.filter((e) => e.name.startsWith(`${prefix}/`)).map((e) => e.name);
  return `weights ${names.slice(0, 4).join(', ')}${names.length > 4 ? ', ...' : ''}`;
}

/** What trainWithCheckpoints trains and saves: a model and its trainer (an Experiment is one). */
export interface CheckpointedRun {
  model: AAEModel;
  trainer: Trainer;
}

/** Training with a checkpoint after every epoch, and one at the exact position when stopped. */
export interface FolderTrainOptions {
  /** Train up to this many epochs in all. */
  epochs: number;
  evalSize?: number;
  signal?: AbortSignal;
  callbacks?: TrainCallbacks[];
  /** Written into every checkpoint. */
  meta?: () => Record<string, unknown>;
  /** Called after every checkpoint (the CLI writes metrics.json). */
  afterSave?: () => void;
  /** Called with the seconds each checkpoint (and afterSave) took. */
  onSaveTime?: (seconds: number) => void;
}

/**
 * Trains `exp` with a checkpoint in `ckptFile` after every epoch and, when the signal stops it,
 * one at the exact position reached. A DivergenceError (NaN or Inf loss) propagates and leaves the
 * last good checkpoint (end of the last finished epoch) as it is.
 */
export async function trainWithCheckpoints(exp: CheckpointedRun, ckptFile: string, opts: FolderTrainOptions): Promise<TrainOutcome> {
  const save = () => {
    const t0 = performance.now();
    saveCheckpoint(ckptFile, exp.model, exp.trainer.snapshot(), opts.meta?.() ?? {});
    opts.afterSave?.();
    opts.onSaveTime?.((performance.now() - t0) / 1000);
  };
  const outcome = await exp.trainer.run({
    epochs: opts.epochs,
    signal: opts.signal,
    evalSize: opts.evalSize,
    callbacks: [...(opts.callbacks ?? []), { onEpochEnd: save }],
  });
  if (outcome === 'interrupted') save();
  return outcome;
}
