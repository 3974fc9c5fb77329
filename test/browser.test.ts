/**
 * Every Vega-Lite bundle of the committed (executed) notebooks rendered by vega-embed in headless
 * Chromium and compared with its PNG fallback; notebook 04's label slider moved to another label.
 * Skipped, with the reason printed, where Chromium is not installed (scripts/setup.sh installs
 * Debian's `chromium`; CI runs it). test/notebooks.test.ts runs the same check on the notebooks it
 * executes in quick mode.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { sourceNames, NOTEBOOK_DIR } from '../scripts/build-notebooks';
import { checkBundles, findChromium, notebookBundles, type Bundle } from './browser-check';
import { figureBundle } from '../lib/display/jupyter';
import { PNG } from 'pngjs';

const chromium = findChromium();
const skip = chromium ? false : 'Chromium is not installed (/usr/bin/chromium or $AAE_CHROMIUM): apt-get install chromium, or run scripts/setup.sh';
if (!chromium) console.log(`browser test skipped: ${skip}`);

test('every Vega-Lite bundle of the notebooks renders in Chromium like its PNG; the label slider switches the label', { skip, timeout: 300_000 }, async () => {
  const bundles = sourceNames().flatMap((n) => notebookBundles(path.join(NOTEBOOK_DIR, `${n}.ipynb`)));
  const figures = bundles.filter((b) => !/ \/ output \d+$/.test(b.where));
  assert.ok(figures.length >= 12, `the executed notebooks hold ${figures.length} named figures`);
  // a deliberately broken copy of a real bundle must fail the same check (the check can fail)
  const scatter = bundles.find((b) => b.where.endsWith('/ coding-spaces'))!;
  assert.ok(scatter, 'notebook 02 shows the coding spaces');
  const broken: Bundle[] = [
    { ...scatter, where: 'broken: a field renamed', spec: JSON.parse(JSON.stringify(scatter.spec).replace(/"field":"x"/g, '"field":"nope"')) },
    { ...scatter, where: 'broken: not a mark', spec: JSON.parse(JSON.stringify(scatter.spec).replace(/"type":"circle"/g, '"type":"blob"')) },
    // x and y swapped: the same marks and size, another picture (the codes mirrored on the diagonal)
    {
      ...scatter,
      where: 'broken: another picture',
      spec: JSON.parse(
        JSON.stringify(scatter.spec)
          .replace(/"field":"x"/g, '"field":"T"')
          .replace(/"field":"y"/g, '"field":"x"')
          .replace(/"field":"T"/g, '"field":"y"'),
      ),
    },
  ];
  const lines: string[] = [];
  const t0 = Date.now();
  const report = await checkBundles(chromium!, [...bundles, ...broken], { log: (l) => lines.push(l) });
  console.log(`${lines.join('\n')}\n${report.checked} bundles in one Chromium, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const real = report.problems.filter((p) => !p.startsWith('broken'));
  assert.deepEqual(real, [], 'bundles that do not render like their PNG');
  for (const b of broken)
    assert.ok(
      report.problems.some((p) => p.startsWith(b.where)),
      `${b.where}: the check did not fail`,
    );
  assert.equal(report.sliders, 1, "notebook 04's label slider was driven");
});

test('the check fails on a PNG that shows another figure', { skip, timeout: 120_000 }, async () => {
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: 200,
    height: 120,
    data: {
      values: [
        { a: 1, b: 2 },
        { a: 2, b: 5 },
      ],
    },
    mark: 'bar',
    encoding: { x: { field: 'a', type: 'ordinal' }, y: { field: 'b', type: 'quantitative' } },
  } as const;
  const other = { ...spec, mark: 'point' } as const;
  const own = await figureBundle(spec as never);
  const wrong = await figureBundle(other as never);
  const bundle = (where: string, b: typeof own): Bundle => {
    const png = PNG.sync.read(Buffer.from(b.data['image/png'] as string, 'base64'));
    const meta = b.metadata['image/png'] as { width: number; height: number };
    return { where, spec: spec as never, png, scale: png.width / meta.width, cssWidth: meta.width, cssHeight: meta.height, staticFallback: false };
  };
  const report = await checkBundles(chromium!, [bundle('own PNG', own), bundle('wrong PNG', wrong)]);
  assert.deepEqual(
    report.problems.filter((p) => p.startsWith('own')),
    [],
  );
  assert.ok(
    report.problems.some((p) => p.startsWith('wrong PNG') && /picture differs/.test(p)),
    report.problems.join('\n'),
  );
});
