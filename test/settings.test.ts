// The settings table: the committed result files keep their names, and its rows agree with the
// CLIs they generate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { classifyResultName, clusterResultName, priorMatchResultName, type ResultFile } from '../lib/eval/results';
import { CONFIG_FIELDS_ADDED, PRESETS, makeConfig } from '../lib/models/config';
import { COMMANDS, SETTINGS, runVariant, settingsOf } from '../lib/settings/table';
import { PRESET_NAMES, type PresetName } from '../lib/models/config';
import { buildProgram } from '../lib/cli/aae';
import { buildResultsProgram } from '../lib/cli/aae-results';

const RESULTS = path.join(__dirname, '..', 'results');

test('every committed result file is named as the settings table names it', () => {
  const files = fs.readdirSync(RESULTS).filter((f) => f.endsWith('.json'));
  assert.ok(files.length > 0);
  for (const f of files) {
    const r = JSON.parse(fs.readFileSync(path.join(RESULTS, f), 'utf8')) as ResultFile;
    const cfg = { ...CONFIG_FIELDS_ADDED, ...r.config };
    const preset = (PRESET_NAMES as readonly unknown[]).includes(r.preset) ? (r.preset as PresetName) : null;
    const name =
      r.kind === 'semi-supervised-classification'
        ? classifyResultName(r.labels, r.epochs, r.seed, cfg, preset)
        : r.kind === 'clustering'
          ? clusterResultName(r.clusters, cfg.nZ, r.epochs, r.seed, cfg, preset)
          : priorMatchResultName(r.prior, r.epochs, r.seed, cfg.nZ, cfg, preset);
    assert.equal(name, f);
  }
});

test('result-name variants: none for the presets, one part per setting that differs from the original', () => {
  assert.equal(runVariant(makeConfig({}, 'original')), '');
  assert.equal(runVariant(makeConfig({}, 'paper')), '');
  assert.equal(runVariant(makeConfig({}, 'paper-sgd')), '-sgd');
  assert.equal(runVariant(makeConfig({ dLrFactor: 0.5, keepProb: 1, labeledShift: 2 }, 'paper')), '-ls2-dlr0.5-kp1');
  // sizes no preset has: a run with other hidden layers or batches is not another run's namesake
  assert.equal(runVariant(makeConfig({ nHidden: 2000 }, 'paper')), '-h2000');
  assert.equal(runVariant(makeConfig({ nHidden: [500, 250], batchSize: 64 }, 'paper')), '-bs64-h500x250');
  assert.equal(runVariant(makeConfig({ nHidden: [1000, 1000], batchSize: 128 }, 'paper')), '');
  // runs that differ only in where the learning rate drops are not each other's namesakes
  const dropAt = (from: number) =>
    makeConfig(
      {
        lrSchedule: [
          { from: 0, lr: 1e-3 },
          { from, lr: 1e-4 },
        ],
      },
      'paper',
    );
  assert.equal(runVariant(dropAt(15)), '-ld15');
  assert.notEqual(classifyResultName(55000, 30, 0, dropAt(15)), classifyResultName(55000, 30, 0, dropAt(20)));
  assert.equal(runVariant(dropAt(8)), ''); // a preset's own drop (fast)
  // a cosine decay is not the step schedule's namesake
  assert.equal(runVariant(makeConfig({ lrDecay: 'cosine', nHidden: 2000 }, 'paper')), '-cos-h2000');
  assert.notEqual(classifyResultName(55000, 30, 0, makeConfig({ lrDecay: 'cosine' }, 'paper')), classifyResultName(55000, 30, 0, makeConfig({}, 'paper')));
});

test("result names: runs of different presets, or of a preset with another preset's sizes, are not namesakes", () => {
  const names = PRESET_NAMES.map((p) => classifyResultName(100, 10, 0, makeConfig({}, p), p));
  assert.equal(new Set(names).size, names.length, names.join(' '));
  const clusters = PRESET_NAMES.map((p) => clusterResultName(16, 5, 10, 0, makeConfig({}, p), p));
  assert.equal(new Set(clusters).size, clusters.length, clusters.join(' '));
  assert.notEqual(classifyResultName(100, 10, 0, makeConfig({ nHidden: 3000 }, 'paper'), 'paper'), classifyResultName(100, 10, 0, makeConfig({}, 'paper'), 'paper'));
  assert.notEqual(classifyResultName(100, 10, 0, makeConfig({ batchSize: 128 }, 'paper'), 'paper'), classifyResultName(100, 10, 0, makeConfig({}, 'paper'), 'paper'));
  const plain = classifyResultName(100, 10, 0, makeConfig({}, 'paper'), 'paper');
  for (const other of [{ nZ: 5 }, { trainSize: 10000 }, { labeledFrom: 'validation' as const }])
    assert.notEqual(classifyResultName(100, 10, 0, makeConfig(other, 'paper'), 'paper'), plain, JSON.stringify(other));
  // a command's own preset adds nothing
  assert.equal(classifyResultName(100, 10, 0, makeConfig({}, 'paper'), 'paper'), 'semi-supervised-N100-e10-seed0.json');
  assert.equal(priorMatchResultName('gaussian', 10, 0, 2, makeConfig({ model: 'supervised', nZ: 2 }, 'fast'), 'fast'), 'prior-match-gaussian-z2-e10-seed0.json');
});

test('both CLIs take the same options with the same caps, from the table', () => {
  const aae = buildProgram();
  const results = buildResultsProgram(() => {});
  for (const command of COMMANDS) {
    const cmd = command === 'aae' ? aae : results.commands.find((c) => c.name() === command)!;
    const flags = cmd.options.map((o) => o.flags);
    assert.deepEqual(
      flags,
      settingsOf(command).map((s) => s.flag),
      command,
    );
  }
  // Every row with a field names a real config field.
  for (const s of SETTINGS) if (s.field) assert.ok(s.field in PRESETS.original, s.key);
});
