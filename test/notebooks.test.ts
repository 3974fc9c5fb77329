/**
 * Every notebook, executed by real Jupyter (nbclient on the tslab kernel) in quick mode: fails when
 * any cell errors or when a figure the notebook declares is missing from its outputs or lacks the
 * Vega-Lite object or the PNG fallback. Needs Jupyter's nbclient (scripts/setup.sh installs it);
 * without it the test fails, unless AAE_SKIP_NOTEBOOKS=1 says to skip it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildNotebook, sourceNames, NOTEBOOK_DIR, SOURCE_DIR, type Notebook } from '../scripts/build-notebooks';
import { FIGURE_METADATA_KEY } from '../lib/display/jupyter';
import { checkBundles, findChromium, notebookBundles } from './browser-check';

const ROOT = path.join(__dirname, '..');
const skip = process.env.AAE_SKIP_NOTEBOOKS === '1' ? 'AAE_SKIP_NOTEBOOKS=1' : false;
const VEGALITE = 'application/vnd.vegalite.v5+json';
const PNG_BASE64_SIGNATURE = 'iVBORw0KGgo';

/** A Python with nbclient: AAE_PYTHON, Debian's /usr/bin/python3, or python3 on PATH. */
function findPython(): string | null {
  for (const py of [process.env.AAE_PYTHON, '/usr/bin/python3', 'python3']) {
    if (py && spawnSync(py, ['-c', 'import nbclient, nbformat'], { stdio: 'ignore' }).status === 0) return py;
  }
  return null;
}

test('every notebook is built from its source in notebooks/src', () => {
  const names = sourceNames();
  assert.ok(names.length >= 5, `expected the five notebooks' sources, found ${names.join(', ')}`);
  for (const name of names) {
    const file = path.join(NOTEBOOK_DIR, `${name}.ipynb`);
    assert.ok(fs.existsSync(file), `notebooks/${name}.ipynb is missing: run npm run notebooks:build`);
    const nb = JSON.parse(fs.readFileSync(file, 'utf8')) as Notebook;
    const built = buildNotebook(fs.readFileSync(path.join(SOURCE_DIR, `${name}.md`), 'utf8'), name, nb);
    assert.deepEqual(
      nb.cells.map((c) => [c.id, c.cell_type, c.source.join('')]),
      built.cells.map((c) => [c.id, c.cell_type, c.source.join('')]),
      `notebooks/${name}.ipynb differs from notebooks/src/${name}.md: run npm run notebooks:build`,
    );
    assert.equal(nb.nbformat, 4);
    assert.equal(nb.nbformat_minor, 5);
    assert.equal(nb.cells[0].cell_type, 'markdown', `${name}: the first cell says what the notebook reproduces`);
    assert.ok(
      nb.cells.some((c) => c.cell_type === 'code' && (c.metadata.tags as string[] | undefined)?.includes('parameters')),
      `${name}: no parameters cell`,
    );
  }
});

test("a burst of output in a real kernel: every line arrives (the library queues the kernel's sends)", { skip, timeout: 120_000 }, () => {
  const py = findPython();
  assert.ok(py, 'Jupyter is not installed: no Python with nbclient (see the test below)');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aae-burst-'));
  // more than the 512 sends zeromq.js makes at once, fewer than the 1,000 messages its publisher holds before it drops
  const lines = 900;
  const cell = (source: string) => ({ cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source });
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' } },
    cells: [
      // the import alone: output before any display is kept too
      cell(`import * as aae from ${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))};\nconsole.log(typeof aae.notebook.inNotebook);`),
      cell(`for (let i = 0; i < ${lines}; i++) console.log(\`line \${i}\`);`),
    ],
  };
  fs.writeFileSync(path.join(tmp, 'burst.ipynb'), JSON.stringify(nb));
  const r = spawnSync(
    py!,
    [path.join(ROOT, 'scripts', 'notebooks.py'), '--timeout', '60', '--out-dir', path.join(tmp, 'out'), '--kernel-dir', path.join(tmp, 'jupyter'), path.join(tmp, 'burst.ipynb')],
    { encoding: 'utf8', timeout: 110_000 },
  );
  assert.equal(r.status, 0, `execution failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  const out = JSON.parse(fs.readFileSync(path.join(tmp, 'out', 'burst.ipynb'), 'utf8')) as Notebook;
  const outputs = out.cells.flatMap((c) => (c.outputs ?? []) as Record<string, unknown>[]);
  assert.deepEqual(
    outputs.filter((o) => o.output_type === 'error'),
    [],
  );
  const text = outputs
    .filter((o) => o.output_type === 'stream')
    .map((o) => [o.text].flat().join(''))
    .join('');
  const got = text.split('\n').filter((l) => l.startsWith('line '));
  assert.equal(got.length, lines, `${got.length} of ${lines} lines arrived`);
  assert.deepEqual(
    got,
    Array.from({ length: lines }, (_, i) => `line ${i}`),
  );
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('every notebook runs in quick mode under Jupyter and shows its figures', { skip, timeout: 900_000 }, async () => {
  const py = findPython();
  assert.ok(
    py,
    'Jupyter is not installed: no Python with nbclient (tried $AAE_PYTHON, /usr/bin/python3, python3). ' +
      'Install it with scripts/setup.sh (apt-get install jupyter-nbconvert jupyter-client python3-nbclient python3-ipykernel), ' +
      'or set AAE_SKIP_NOTEBOOKS=1 to skip the notebook test.',
  );
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aae-notebooks-'));
  const names = sourceNames();
  const t0 = Date.now();
  const r = spawnSync(
    py!,
    [
      path.join(ROOT, 'scripts', 'notebooks.py'),
      '--quick',
      '--timeout',
      '300',
      '--out-dir',
      path.join(tmp, 'executed'),
      '--kernel-dir',
      path.join(tmp, 'jupyter'),
      ...names.map((n) => path.join(NOTEBOOK_DIR, `${n}.ipynb`)),
    ],
    { encoding: 'utf8', env: { ...process.env, AAE_RUNS_ROOT: path.join(tmp, 'runs') }, timeout: 580_000 },
  );
  console.log(`notebooks executed in ${((Date.now() - t0) / 1000).toFixed(1)} s\n${r.stdout}`);
  assert.equal(r.status, 0, `notebook execution failed (exit ${r.status}${r.signal ? `, ${r.signal}` : ''}):\n${r.stderr}`);

  for (const name of names) {
    const nb = JSON.parse(fs.readFileSync(path.join(tmp, 'executed', `${name}.ipynb`), 'utf8')) as Notebook;
    const outputs = nb.cells.flatMap((c) => (c.outputs ?? []) as Record<string, unknown>[]);
    const errors = outputs.filter((o) => o.output_type === 'error');
    assert.equal(errors.length, 0, `${name}: error outputs: ${JSON.stringify(errors).slice(0, 500)}`);
    const text = outputs
      .filter((o) => o.output_type === 'stream' && o.name === 'stdout')
      .map((o) => [o.text].flat().join(''))
      .join('');
    assert.match(text, /QUICK MODE/, `${name}: the kernel did not run in quick mode`);
    const expected = (nb.metadata.aae_lab as { figures?: string[] } | undefined)?.figures ?? [];
    assert.ok(expected.length > 0, `${name}: the source declares no figures (<!-- figures: ... -->)`);
    for (const fig of expected) {
      const out = outputs.find((o) => o.output_type === 'display_data' && (o.metadata as Record<string, { figure?: string }> | undefined)?.[FIGURE_METADATA_KEY]?.figure === fig);
      assert.ok(out, `${name}: figure "${fig}" was not displayed`);
      const data = out.data as Record<string, unknown>;
      const vl = data[VEGALITE];
      assert.ok(vl && typeof vl === 'object' && !Array.isArray(vl), `${name}: figure "${fig}" has no Vega-Lite object (${typeof vl})`);
      assert.match(String((vl as { $schema?: string }).$schema), /vega-lite\/v5/, `${name}: figure "${fig}": Vega-Lite spec without the v5 schema`);
      const png = data['image/png'];
      assert.ok(typeof png === 'string' && png.startsWith(PNG_BASE64_SIGNATURE) && png.length > 1000, `${name}: figure "${fig}" has no PNG fallback`);
      const plain = [data['text/plain'] ?? []].flat().join(''); // nbformat stores text as a string or a list of lines
      assert.ok(plain.length > 0, `${name}: figure "${fig}" has no text/plain`);
    }
  }
  // the same notebooks' Vega-Lite bundles in a real browser (test/browser.test.ts checks the committed ones)
  const chromium = findChromium();
  if (!chromium) {
    console.log('browser check of the quick-mode notebooks skipped: Chromium is not installed (apt-get install chromium)');
  } else {
    const bundles = names.flatMap((n) => notebookBundles(path.join(tmp, 'executed', `${n}.ipynb`)));
    const report = await checkBundles(chromium, bundles);
    console.log(`browser check: ${report.checked} bundles, ${report.sliders} slider(s), ${report.problems.length} problem(s)`);
    assert.deepEqual(report.problems, [], 'quick-mode bundles that do not render in Chromium like their PNG');
    assert.equal(report.sliders, 1);
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});
