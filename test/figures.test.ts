import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { initBackend } from '../lib/backend';
import { makeConfig, type SemiSupervisedAAE } from '../lib/models';
import { createExperiment, type Experiment } from '../lib/train/setup';
import { loadMnist, PIXELS, type Mnist } from '../lib/data/mnist';
import { Rng } from '../lib/random';
import { gaussianSector, sampleUnlabelled } from '../lib/priors';
import {
  DIGIT_COLORS,
  digitGrid,
  latentScatterSpec,
  priorSamplesSpec,
  restorationSpec,
  manifoldSpec,
  conditionalManifoldSpec,
  conditionalGenerationSpec,
  trainingCurvesSpec,
  classificationErrorSpec,
  errorCurvesSpec,
  latentCodes,
  restorationData,
  manifoldGrid,
  conditionalManifolds,
  conditionalGeneration,
  targetPriorPanels,
  gridCodes,
  experimentFigures,
  dataRows,
  latentScattersSpec,
  logTicks,
  wrapText,
  type HistoryRow,
} from '../lib/figures';
import {
  renderSvg,
  renderPng,
  svgToPng,
  headlessView,
  figureBundle,
  sendDisplayData,
  showFigure,
  inNotebook,
  notebookProgress,
  NotInNotebookError,
  VEGALITE_MIME,
  type DisplayData,
} from '../lib/display';
import { writeRunFigures } from '../lib/cli/figure-files';

let mnist: Mnist;
let sup: Experiment;
let semi: Experiment;

function tiny(model: 'supervised' | 'semi_supervised', nZ: number, prior: 'gaussian' | 'gaussian_mixture' | 'swiss_roll' = 'gaussian'): Experiment {
  return createExperiment(makeConfig({ model, prior, nZ, nHidden: 64, trainSize: 1000, epochs: 1, batchSize: 100, nLabeled: 200, seed: 3 }), mnist);
}

before(async () => {
  await initBackend();
  mnist = loadMnist();
  sup = tiny('supervised', 2);
  semi = tiny('semi_supervised', 2);
  await sup.trainer.run({ epochs: 2, evalSize: 500 });
  await semi.trainer.run({ epochs: 1, evalSize: 500 });
});

// ------------------------------------------------------------------ helpers reading rendered output

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngInfo(buf: Buffer): { width: number; height: number } {
  assert.ok(buf.subarray(0, 8).equals(PNG_SIGNATURE), 'PNG signature');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

/** IHDR colour type: 0 grayscale, 6 RGBA. */
const pngColorType = (buf: Buffer) => buf[25];

/** Contents of every <g class="<cls>..."> group of an SVG (vega writes marks flat inside their group). */
function groups(svg: string, cls: string): string[] {
  const out: string[] = [];
  const open = `<g class="${cls}`;
  for (let i = svg.indexOf(open); i >= 0; i = svg.indexOf(open, i + 1)) out.push(svg.slice(i, svg.indexOf('</g>', i)));
  return out;
}

const count = (s: string, sub: string) => s.split(sub).length - 1;
/** The elements of a tag (e.g. 'path') drawn by the <g class="<cls>..."> groups of an SVG. */
const marks = (svg: string, cls: string, tag: string) =>
  groups(svg, cls)
    .join('')
    .match(new RegExp(`<${tag} [^>]*>`, 'g')) ?? [];
const texts = (s: string) => [...s.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

/** Number of points drawn by the data symbols (not the legend's). */
const symbolMarks = (svg: string) => groups(svg, 'mark-symbol role-mark').reduce((n, g) => n + count(g, '<path'), 0);
const legendLabels = (svg: string) => groups(svg, 'mark-text role-legend-label').flatMap(texts);

/** The image marks' data-URL PNGs, decoded. */
function images(svg: string): PNG[] {
  return [...svg.matchAll(/<image[^>]*href="data:image\/png;base64,([^"]+)"/g)].map((m) => PNG.sync.read(Buffer.from(m[1], 'base64')));
}

/** Gray level (0-255) of pixel (x, y) of a decoded PNG. */
const gray = (p: PNG, x: number, y: number) => p.data[(y * p.width + x) * 4];

function assertDigitAt(p: PNG, row: number, col: number, pad: number, image: ArrayLike<number>): void {
  for (let y = 0; y < 28; y++)
    for (let x = 0; x < 28; x++) {
      const want = Math.round(255 * Math.min(1, Math.max(0, image[y * 28 + x])));
      assert.equal(gray(p, col * (28 + pad) + x, row * (28 + pad) + y), want, `pixel (${x}, ${y}) of digit (${row}, ${col})`);
    }
}

/** Image i of a flattened image array. */
const digit = (images: ArrayLike<number>, i: number) => Float32Array.from({ length: PIXELS }, (_, j) => images[i * PIXELS + j]);

const DIGIT_LABELS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

// ------------------------------------------------------------------ figures from model outputs

test('latent scatter: one point per test code, ten digits in the legend with the fixed colours, PNG at 2x', async () => {
  const data = latentCodes(sup.model, mnist.test, 10000);
  assert.equal(data.codes.length, 20000);
  const spec = latentScatterSpec(data);
  const svg = await renderSvg(spec);
  assert.equal(symbolMarks(svg), 10000);
  assert.deepEqual(legendLabels(svg), DIGIT_LABELS);
  const legendFills = groups(svg, 'mark-symbol role-legend-symbol').map((g) => /fill="([^"]+)"/.exec(g)?.[1]);
  assert.deepEqual(legendFills, DIGIT_COLORS);
  // every digit's points carry its colour
  const main = groups(svg, 'mark-symbol role-mark')[0];
  const perColour = new Map<string, number>();
  for (const m of main.matchAll(/fill="([^"]+)"/g)) perColour.set(m[1], (perColour.get(m[1]) ?? 0) + 1);
  for (let k = 0; k < 10; k++) assert.equal(perColour.get(DIGIT_COLORS[k]), mnist.test.labels.filter((l) => l === k).length, `points of digit ${k}`);
  const png = svgToPng(svg);
  assert.equal(pngColorType(png.png), 3, 'a colour figure is an indexed (palette) PNG');
  const rgba = svgToPng(svg, { palette: false });
  assert.equal(pngColorType(rgba.png), 6, 'palette: false keeps RGBA');
  assert.ok(png.png.length < rgba.png.length / 2, `palette ${png.png.length} B, RGBA ${rgba.png.length} B`);
  // the palette keeps the picture: every digit colour still there, pixels within a few levels
  const [pa, pb] = [PNG.sync.read(png.png), PNG.sync.read(rgba.png)];
  let far = 0;
  for (let i = 0; i < pa.data.length; i += 4) if (Math.abs(pa.data[i] - pb.data[i]) + Math.abs(pa.data[i + 1] - pb.data[i + 1]) + Math.abs(pa.data[i + 2] - pb.data[i + 2]) > 48) far++;
  assert.ok(far / (pa.width * pa.height) < 0.002, `${far} pixels changed visibly`);
  const info = pngInfo(png.png);
  assert.deepEqual(info, { width: png.width, height: png.height });
  assert.equal(png.cssWidth * 2, png.width);
  assert.ok(png.width > 900 && png.height > 800, `PNG ${png.width}x${png.height}`);
});

test('latent scatter of n_z > 2 plots the chosen dims and says so', async () => {
  const codes = Float32Array.from({ length: 40 }, (_, i) => i); // 10 codes of 4 dims
  const labels = Uint8Array.from({ length: 10 }, (_, i) => i);
  const spec = latentScatterSpec({ codes, nZ: 4, labels }, { dims: [2, 3] });
  const plain = spec as unknown as { title: { subtitle: string }; data: { values: object[] }; transform: object[] };
  assert.equal(plain.title.subtitle, 'dimensions 2 and 3 of n_z = 4');
  assert.deepEqual(dataRows(plain.data, plain.transform)[1], { x: 6, y: 7, digit: 1 });
  assert.equal(plain.data.values.length, 1, 'one row of columns (flattened by the spec)');
  assert.throws(() => latentScatterSpec({ codes, nZ: 4, labels }, { dims: [0, 4] }), /dimension 4 is not in 0..3/);
  const svg = await renderSvg(spec);
  assert.ok(texts(svg).includes('z[2]') && texts(svg).includes('z[3]'));
});

test('target priors: three panels, every sample drawn, coloured by label', async () => {
  const panels = targetPriorPanels(1000, new Rng(1));
  assert.deepEqual(
    panels.map((p) => p.title),
    ['gaussian (labelled by sector)', 'gaussian mixture', 'swiss roll'],
  );
  const g = panels[0];
  for (let i = 0; i < 1000; i++) assert.equal(g.labels[i], gaussianSector(g.z[2 * i], g.z[2 * i + 1]));
  for (const p of panels) assert.equal(new Set(Array.from(p.labels)).size, 10, `${p.title}: all ten labels`);
  const svg = await renderSvg(priorSamplesSpec(panels));
  assert.equal(symbolMarks(svg), 3000);
  assert.deepEqual(legendLabels(svg), DIGIT_LABELS);
  for (const t of ['gaussian (labelled by sector)', 'gaussian mixture', 'swiss roll']) assert.ok(texts(svg).includes(t), t);
  pngInfo((await renderPng(priorSamplesSpec(panels))).png);
});

test('restoration: originals beside reconstructions, pixel for pixel', async () => {
  const data = restorationData(semi.model, mnist.test, 100);
  const svg = await renderSvg(restorationSpec(data));
  const imgs = images(svg);
  assert.equal(imgs.length, 2);
  for (const p of imgs) assert.deepEqual([p.width, p.height], [10 * 28 + 9, 10 * 28 + 9]);
  assertDigitAt(imgs[0], 3, 7, 1, mnist.test.images.subarray(37 * PIXELS, 38 * PIXELS));
  assertDigitAt(imgs[1], 3, 7, 1, digit(data.reconstructions, 37));
  assert.ok(texts(svg).includes('original') && texts(svg).includes('reconstruction'));
  const png = await renderPng(restorationSpec(data));
  assert.ok(png.width >= 2 * 2 * 280, `two 280-px canvases at 2x: ${png.width}`);
  assert.equal(pngColorType(png.png), 0, 'an all-gray figure is written as a grayscale PNG');
  const rgba = await renderPng(restorationSpec(data), { grayscale: false, palette: false });
  assert.equal(pngColorType(rgba.png), 6);
  assert.ok(png.png.length < rgba.png.length);
  const a = PNG.sync.read(png.png);
  const b = PNG.sync.read(rgba.png);
  assert.ok(a.data.equals(b.data), 'same pixels either way');
});

test('manifold: decoded grid on the latent axes, digit (r, c) decodes grid point (c, r)', async () => {
  const m = manifoldGrid(sup.model, { gridSize: 5, range: [-1, 1] });
  const z = gridCodes(2, 5, [-1, 1]);
  assert.deepEqual(Array.from(z.subarray(0, 2)), [-1, 1]); // top-left: lowest x, highest y
  assert.deepEqual(Array.from(z.subarray(2 * 24)), [1, -1]);
  const spec = manifoldSpec(m);
  const svg = await renderSvg(spec);
  const [img] = images(svg);
  assert.deepEqual([img.width, img.height], [140, 140]);
  const one = sup.model.decode(Float32Array.from([0.5, -0.5])); // grid row 3, column 3
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) assert.ok(Math.abs(gray(img, 3 * 28 + x, 3 * 28 + y) - 255 * one[y * 28 + x]) <= 1);
  // axis covers the grid with each digit centred on its point: [-1.25, 1.25]
  const view = await headlessView(spec);
  assert.deepEqual(view.scale('x').domain(), [-1.25, 1.25]);
  view.finalize();
  // the default range covers the prior's support, 20 x 20
  const d = manifoldGrid(sup.model);
  assert.equal(d.gridSize, 20);
  assert.deepEqual(d.range, [-2, 2]);
  assert.ok(JSON.stringify(manifoldSpec(d)).length < 400_000, 'a 400-digit manifold stays a small spec');
});

test('semi-supervised manifolds: a label slider inside the chart switches the decoded condition', async () => {
  const data = conditionalManifolds(semi.model as SemiSupervisedAAE, { gridSize: 4, range: [-2, 2] });
  assert.equal(data.imagesByLabel.length, 10);
  assert.notDeepEqual(data.imagesByLabel[1], data.imagesByLabel[7], 'the label changes the decoded images');
  const spec = conditionalManifoldSpec(data) as { params: { name: string; bind: { input: string } }[] };
  assert.equal(spec.params[0].bind.input, 'range');
  for (const label of [0, 7]) {
    const svg = await renderSvg(spec as never, { label });
    const imgs = images(svg);
    assert.equal(imgs.length, 1, 'one manifold shown at a time');
    assertDigitAt(imgs[0], 1, 2, 0, digit(data.imagesByLabel[label], 6));
  }
  const dropdown = conditionalManifoldSpec(data, { control: 'dropdown' }) as { params: { bind: { input: string } }[] };
  assert.equal(dropdown.params[0].bind.input, 'select');
  const grid = await renderSvg(conditionalManifoldSpec(data, { control: 'grid' }));
  assert.equal(images(grid).length, 10);
  for (let k = 0; k < 10; k++) assert.ok(texts(grid).includes(`label ${k}`));
});

test('conditional generation: style per row, label per column', async () => {
  const model = semi.model as SemiSupervisedAAE;
  const gen = conditionalGeneration(model, new Rng(5), 10);
  const svg = await renderSvg(conditionalGenerationSpec(gen));
  const [img] = images(svg);
  assert.deepEqual([img.width, img.height], [10 * 28 + 9, 10 * 28 + 9]);
  // row 4 is style vector 4 (drawn from the model's prior) decoded with labels 0-9
  const style4 = sampleUnlabelled('gaussian', 10, 2, new Rng(5)).z.subarray(8, 10);
  const z = new Float32Array(20);
  for (let k = 0; k < 10; k++) z.set(style4, 2 * k);
  const row4 = model.decode(z, DIGIT_LABELS.map(Number));
  for (let k = 0; k < 10; k++) assertDigitAt(img, 4, k, 1, row4.subarray(k * PIXELS, (k + 1) * PIXELS));
  assert.notDeepEqual(row4.subarray(0, PIXELS), row4.subarray(PIXELS, 2 * PIXELS), 'labels 0 and 1 decode differently');
  assert.ok(texts(svg).includes('label') && texts(svg).includes('style'));
});

test('training curves: one line per metric with a legend, from the trainer history', async () => {
  const history = sup.trainer.history as HistoryRow[];
  assert.equal(history.length, 2);
  const metrics = Object.keys(history[0]).filter((k) => !['epoch', 'lr', 'seconds'].includes(k));
  assert.ok(metrics.includes('train_reconstruction') && metrics.includes('test_reconstruction'));
  for (const yScale of ['log', 'linear', 'independent'] as const) {
    const svg = await renderSvg(trainingCurvesSpec(history, { yScale }));
    assert.equal(
      groups(svg, 'mark-line role-mark').reduce((n, g) => n + count(g, '<path'), 0),
      metrics.length,
      yScale,
    );
    if (yScale !== 'independent') {
      const labels = legendLabels(svg);
      for (const m of metrics) assert.ok(labels.includes(m), `${m} in the legend`);
    }
  }
});

test('digitGrid rejects a wrong image count', () => {
  assert.throws(() => digitGrid(new Float32Array(PIXELS * 3), 2, 2), /2 x 2 images need 3136 values, got 2352/);
});

// ------------------------------------------------------------------ notebook outputs

test('notebook bundle: Vega-Lite object + 2x PNG + text; sending needs a kernel', async () => {
  const spec = trainingCurvesSpec(sup.trainer.history as HistoryRow[]);
  const b = await figureBundle(spec);
  assert.deepEqual(Object.keys(b.data).sort(), ['application/vnd.vegalite.v5+json', 'image/png', 'text/plain']);
  const vlJson = b.data[VEGALITE_MIME];
  assert.equal(typeof vlJson, 'object');
  assert.equal((vlJson as { $schema: string }).$schema, 'https://vega.github.io/schema/vega-lite/v5.json');
  const png = pngInfo(Buffer.from(b.data['image/png'] as string, 'base64'));
  const meta = b.metadata['image/png'] as { width: number; height: number };
  assert.deepEqual([png.width, png.height], [2 * meta.width, 2 * meta.height]);
  assert.match(b.data['text/plain'] as string, /Training curves/);
  assert.equal(inNotebook(), false);
  assert.throws(() => sendDisplayData(b), NotInNotebookError);
  await assert.rejects(showFigure(spec), /not running inside a tslab Jupyter kernel/);
});

test('notebookProgress updates one table display in place and redraws the curves per epoch', async () => {
  const sent: { content: DisplayData; update: boolean }[] = [];
  const exp = tiny('supervised', 2);
  const callbacks = notebookProgress({ writer: (content, update) => sent.push({ content, update }), intervalMs: 0, totalEpochs: 2 });
  await exp.trainer.run({ epochs: 2, evalSize: 200, callbacks });
  const ids = [...new Set(sent.map((s) => s.content.transient.display_id))];
  assert.equal(ids.length, 2, 'a progress display and a chart display');
  const [table, chart] = ids.map((id) => sent.filter((s) => s.content.transient.display_id === id));
  assert.deepEqual(
    table.map((s) => s.update),
    [false, ...table.slice(1).map(() => true)],
  );
  assert.ok(table.length >= 20, `updated per batch (intervalMs 0): ${table.length}`);
  const last = table[table.length - 1].content.data;
  assert.match(last['text/html'] as string, /<progress value="20" max="20"/);
  assert.match(last['text/plain'] as string, /^epoch 2\/2, batch 10\/10, \d+ s \(done\)/);
  assert.match(last['text/plain'] as string, /\nepoch +train reconstruction +.*\n-+ +-+.*\n +1 +[\d.]+ .*\n +2 /);
  assert.doesNotMatch(last['text/plain'] as string, /[│┌─]|\t/, 'aligned with spaces, no box drawing or tabs');
  assert.equal(count(last['text/html'] as string, '<tr>'), 3, 'header + two epoch rows');
  assert.deepEqual(
    chart.map((s) => s.update),
    [false, true],
  );
  assert.equal(typeof chart[1].content.data[VEGALITE_MIME], 'object');
});

// ------------------------------------------------------------------ files of a run

test('writeRunFigures writes every figure of a semi-supervised run as PNG (SVG when small)', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'aae-figs-'));
  try {
    const files = await writeRunFigures(semi, out, { pmlr: true, parr: true, scatterCount: 2000, verbose: false });
    const names = files.map((f) => path.basename(f));
    for (const n of ['restoration', 'latent_scatter', 'prior_samples', 'manifold', 'conditional_generation', 'training_curves']) {
      assert.ok(names.includes(`${n}.png`), `${n}.png`);
      const info = pngInfo(fs.readFileSync(path.join(out, `${n}.png`)));
      assert.ok(info.width > 300 && info.height > 300, `${n}: ${info.width}x${info.height}`);
    }
    assert.ok(names.includes('manifold.svg'));
    assert.equal(images(fs.readFileSync(path.join(out, 'manifold.svg'), 'utf8')).length, 10, 'all ten label conditions in the file');
    const interactive = JSON.parse(fs.readFileSync(path.join(out, 'manifold.interactive.vl.json'), 'utf8')) as { params: { name: string }[]; data: { values: unknown[] } };
    assert.equal(interactive.params[0].name, 'label');
    assert.equal(interactive.data.values.length, 10);
    for (const f of files) assert.ok(fs.existsSync(f));
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test('experimentFigures: n_z > 2 uses dims 0 and 1 (the rest at 0); n_z = 1 skips the 2-D figures; PARR needs labels', async () => {
  const e4 = tiny('supervised', 4, 'gaussian_mixture');
  const { figures, skipped } = experimentFigures(e4, { scatterCount: 500, only: ['latent_scatter', 'manifold', 'conditional_generation'] });
  assert.deepEqual(
    figures.map((f) => f.name),
    ['latent_scatter', 'manifold'],
  );
  assert.deepEqual(
    skipped.map((s) => s.name),
    ['conditional_generation'],
  );
  assert.match(JSON.stringify(figures[0].spec), /dimensions 0 and 1 of n_z = 4/);
  const subtitle = [(figures[1].spec as { title: { subtitle: string | string[] } }).title.subtitle].flat().join(' ');
  assert.match(subtitle, /grid over \[-2.5, 2.5\]² of z\[0\], z\[1\]; the other 2 dimensions at 0/);
  const e1 = tiny('semi_supervised', 1);
  const r1 = experimentFigures(e1, { only: ['restoration', 'latent_scatter', 'prior_samples', 'manifold', 'training_curves'] });
  assert.deepEqual(
    r1.figures.map((f) => f.name),
    ['restoration'],
  );
  assert.deepEqual(
    r1.skipped.map((s) => s.name),
    ['latent_scatter', 'prior_samples', 'manifold', 'training_curves'],
  );
});

test('classification error: one bar per (labels, source) with its height, errors outside [0, 1] refused', async () => {
  const bars = [
    { labels: '100', source: 'this run', error: 0.12 },
    { labels: '100', source: 'AAE paper', error: 0.019 },
    { labels: 'all', source: 'this run', error: 0.015 },
  ];
  const view = await headlessView(classificationErrorSpec(bars));
  const rects = (view.scenegraph() as any).root.items[0].items.flatMap(function walk(n: any): any[] {
    return [...(n.marktype === 'rect' && n.role === 'mark' ? n.items : []), ...(n.items ?? []).flatMap(walk)];
  });
  assert.equal(rects.length, 3);
  const heights = rects.map((r: { height: number }) => r.height).sort((a: number, b: number) => a - b);
  assert.ok(Math.abs(heights[2] / heights[0] - 0.12 / 0.015) < 0.05, `bar heights ${heights}`);
  assert.throws(() => classificationErrorSpec([{ labels: '100', source: 'x', error: 12 }]), /fraction in \[0, 1\], got 12/);
  // columns come in the order given, not alphabetically ('1,000' would sort before '100')
  const three = ['100', '1,000', 'all'].flatMap((labels) => [
    { labels, source: 'this run', error: 0.05 },
    { labels, source: 'AAE paper', error: 0.01 },
  ]);
  const texts: [string, number][] = [];
  (function walk(n: any, x: number): void {
    for (const it of n.items ?? []) {
      if (n.marktype === 'text' && typeof it.text === 'string') texts.push([it.text, x + (it.x ?? 0)]);
      walk(it, x + (it.x ?? 0));
    }
  })(((await headlessView(classificationErrorSpec(three))).scenegraph() as any).root, 0);
  const headerX = ['100', '1,000', 'all'].map((t) => texts.find(([s]) => s === t)![1]);
  assert.ok(headerX[0] < headerX[1] && headerX[1] < headerX[2], `column headers at x ${headerX}`);
});

test('error curves: one line per run over its epochs, dashed reference lines, empty histories refused', async () => {
  const curves = [
    { name: '1,000 labels', history: [0.08, 0.05, 0.03].map((e, epoch) => ({ epoch, test_error: e })) },
    { name: 'all labels', history: [0.04, 0.02].map((e, epoch) => ({ epoch, test_error: e })) },
  ];
  const svg = await renderSvg(errorCurvesSpec(curves, { references: [{ name: 'AAE paper, 1,000 labels', error: 0.016 }] }));
  assert.equal(marks(svg, 'mark-line role-mark', 'path').length, 2, 'a line per run');
  assert.equal(marks(svg, 'mark-symbol role-mark', 'path').length, 5, 'a point per epoch');
  assert.equal(marks(svg, 'mark-rule role-mark', 'line').length, 1);
  assert.match(svg, /AAE paper, 1,000 labels/);
  assert.throws(() => errorCurvesSpec([{ name: 'x', history: [{ epoch: 0 }] }]), /no run has a positive test_error/);
});

test('error curves: where the histories have a validation error, a dashed line per run beside its test line', async () => {
  const curves = [
    { name: '1,000 labels', history: [0.08, 0.05, 0.03].map((e, epoch) => ({ epoch, test_error: e, val_error: e * 1.1 })) },
    { name: 'all labels', history: [0.04, 0.02].map((e, epoch) => ({ epoch, test_error: e, val_error: e * 0.9 })) },
  ];
  const svg = await renderSvg(errorCurvesSpec(curves));
  const paths = marks(svg, 'mark-line role-mark', 'path');
  assert.equal(paths.length, 4, 'a test and a validation line per run');
  assert.equal(paths.filter((p) => /stroke-dasharray="5,3"/.test(p)).length, 2, 'the validation lines dashed');
  assert.match(svg, />validation</);
  assert.match(svg, /stroke="#444" stroke-width="2" stroke-dasharray="5,3"/, 'the legend draws the validation dashes');
  assert.match(svg, /Validation and test error per epoch/);
  const testOnly = await renderSvg(errorCurvesSpec(curves, { validation: false }));
  assert.equal(marks(testOnly, 'mark-line role-mark', 'path').length, 2, 'validation: false draws the test lines only');
});

test('error curves: where the histories have a labeled training error, a dotted line per run; a zero error is left out', async () => {
  const curves = [
    { name: '1,000 labels', history: [0.08, 0.05, 0.03].map((e, epoch) => ({ epoch, test_error: e, val_error: e * 1.1, labeled_error: e / 2 })) },
    { name: '100 labels', history: [0.1, 0.06].map((e, epoch) => ({ epoch, test_error: e, val_error: e * 0.9, labeled_error: 0 })) },
  ];
  const svg = await renderSvg(errorCurvesSpec(curves));
  const paths = marks(svg, 'mark-line role-mark', 'path');
  assert.equal(paths.length, 5, 'test and validation per run, training where it is above zero');
  assert.equal(paths.filter((p) => /stroke-dasharray="1,3"/.test(p)).length, 1, 'the training line dotted');
  assert.equal(paths.filter((p) => /stroke-dasharray="5,3"/.test(p)).length, 2, 'the validation lines dashed');
  assert.match(svg, />training</);
  assert.match(svg, /stroke="#444" stroke-width="2" stroke-dasharray="1,3"/, 'the legend draws the training dots');
  assert.match(svg, /Training, validation and test error per epoch/);
  const noTraining = await renderSvg(errorCurvesSpec(curves, { training: false }));
  assert.equal(marks(noTraining, 'mark-line role-mark', 'path').length, 4, 'training: false leaves it out');
  assert.match(noTraining, /Validation and test error per epoch/);
});

// ------------------------------------------------------------------ as a reader sees them

/** Text labels of the axis whose title is `title` (the labels of that axis group). */
function axisLabels(svg: string, axisTitle: string): string[] {
  const parts = svg
    .split('role-axis"')
    .slice(1)
    .filter((g) => g.includes(`>${axisTitle}<`));
  return parts.flatMap((g) => [...g.split('role-axis-title')[0].matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]));
}

test("coding spaces side by side: every code drawn, one legend, no wider than GitHub's 830 px column", async () => {
  const data = latentCodes(sup.model, mnist.test, 1000);
  const spec = latentScattersSpec(
    [
      { title: 'a', codes: data },
      { title: 'b', codes: data },
      { title: 'c', codes: data },
    ],
    { title: 'Coding spaces of three models, a title long enough to need a second line' },
  );
  const svg = await renderSvg(spec);
  assert.equal(symbolMarks(svg), 3000);
  assert.deepEqual(legendLabels(svg), DIGIT_LABELS, 'one shared digit legend');
  const png = await renderPng(spec);
  assert.ok(png.cssWidth <= 830, `composed figure ${png.cssWidth} px wide`);
  const priors = await renderPng(priorSamplesSpec(targetPriorPanels(500, new Rng(2))));
  assert.ok(priors.cssWidth <= 830, `target priors ${priors.cssWidth} px wide`);
});

test('a long title wraps instead of widening the canvas; scatter ticks fall on whole numbers', async () => {
  const rng = new Rng(5);
  const n = 2000;
  const codes = Float32Array.from({ length: 2 * n }, () => rng.normal());
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
  const short = await renderPng(latentScatterSpec({ codes, nZ: 2, labels }, { title: 'Codes' }));
  const long = await renderPng(latentScatterSpec({ codes, nZ: 2, labels }, { title: 'Coding space of the supervised AAE, gaussian prior (10,000 test images), a title far wider than the plot' }));
  assert.equal(long.cssWidth, short.cssWidth, 'same width with a long title');
  assert.ok(long.cssHeight > short.cssHeight, 'the long title takes a second line');
  assert.deepEqual(wrapText('aa bb cc', 5), ['aa bb', 'cc']);
  const svg = await renderSvg(latentScatterSpec({ codes, nZ: 2, labels }));
  for (const t of ['z[0]', 'z[1]']) {
    const ticks = axisLabels(svg, t).map((l) => Number(l.replace('−', '-')));
    assert.ok(ticks.length >= 4 && ticks.every(Number.isInteger), `${t} ticks ${ticks}`);
  }
});

test('training curves: the split legend shows a solid and a dashed line', async () => {
  const history = [0, 1, 2].map((epoch) => ({ epoch, train_reconstruction: 0.05 / (epoch + 1), val_reconstruction: 0.06 / (epoch + 1), test_reconstruction: 0.06 / (epoch + 1) }));
  const svg = await renderSvg(trainingCurvesSpec(history as HistoryRow[]));
  const legends = svg.split('role-legend"').slice(1);
  const split = legends.find((g) => g.includes('>split<'))!;
  assert.ok(split, 'a split legend');
  const symbols = [...split.matchAll(/<path[^>]*role-legend-symbol[^>]*>|<g class="mark-symbol role-legend-symbol[^]*?<\/g>/g)].map((m) => m[0]).join('');
  const strokes = [...symbols.matchAll(/stroke="([^"]+)"/g)].map((m) => m[1]);
  assert.ok(strokes.length >= 3 && strokes.every((c) => c !== 'transparent' && c !== 'none'), `legend symbol strokes ${strokes}`);
  assert.equal((symbols.match(/stroke-dasharray="/g) ?? []).length >= 2, true, 'validation and test dashed');
  for (const name of ['train', 'validation', 'test']) assert.ok(split.includes(`>${name}<`), name);
  const epochs = axisLabels(svg, 'epoch');
  assert.deepEqual(epochs, ['1', '2', '3'], 'whole epochs, each once');
});

test('error curves: log axis labelled across the range, reference lines inside the plot', async () => {
  assert.deepEqual(logTicks(0.0065, 0.17), [0.01, 0.02, 0.03, 0.05, 0.1]);
  const curves = [{ name: 'run', history: [0.13, 0.05, 0.02, 0.012].map((e, epoch) => ({ epoch, test_error: e })) }];
  const spec = errorCurvesSpec(curves, { references: [{ name: 'paper', error: 0.0085 }] });
  const svg = await renderSvg(spec);
  const labels = axisLabels(svg, 'test error (log scale)');
  for (const l of ['1%', '10%']) assert.ok(labels.includes(l), `${l} in ${labels}`);
  const view = await headlessView(spec);
  const y = view.scale('y');
  const [lo, hi] = y.domain();
  assert.ok(lo < 0.0085 * 0.9 && hi > 0.13 * 1.1, `domain ${lo}..${hi} leaves room around 0.85% and 13%`);
  view.finalize();
});

test('semi-supervised manifolds: the slider is named "label"; the grid can show the original\'s three conditions', async () => {
  const data = conditionalManifolds(semi.model as SemiSupervisedAAE, { gridSize: 3, range: [-0.5, 0.5] });
  const spec = conditionalManifoldSpec(data) as { params: { bind: { name: string } }[] };
  assert.equal(spec.params[0].bind.name, 'label');
  const three = await renderSvg(conditionalManifoldSpec(data, { control: 'grid', labels: [0, 1, 2], columns: 3 }));
  assert.equal(images(three).length, 3);
  assert.ok(['label 0', 'label 1', 'label 2'].every((t) => texts(three).includes(t)) && !texts(three).includes('label 3'));
  assert.throws(() => conditionalManifoldSpec(data, { labels: [0] }), /grid/);
});
