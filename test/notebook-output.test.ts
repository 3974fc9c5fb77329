/**
 * The committed notebooks as a reader gets them: within the size budget, written in the compact
 * committed form, code lines that fit the page, tables as HTML with a plain-text fallback (no
 * console.table boxes, no raw Markdown pipes), and the MMD in one unit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { serialize, sourceNames, NOTEBOOK_DIR, SOURCE_DIR, type Notebook } from '../scripts/build-notebooks';
import { htmlTable, plainTable, parseMarkdownTable, tableBundle, formatCell, wrapPlain } from '../lib/display/jupyter';

/** The budget: per notebook and for all of them together. */
export const BUDGET = { bytesPerNotebook: 1.5e6, linesPerNotebook: 5000, bytesAll: 5e6 };
const MAX_CODE_LINE = 100;

const files = () => sourceNames().map((n) => path.join(NOTEBOOK_DIR, `${n}.ipynb`));

test('every notebook stays within the size budget (1.5 MB, 5,000 lines each; all together 5 MB)', () => {
  let total = 0;
  const rows: string[] = [];
  for (const f of files()) {
    const text = fs.readFileSync(f, 'utf8');
    const bytes = Buffer.byteLength(text);
    const lines = text.split('\n').length - 1;
    total += bytes;
    rows.push(`${path.basename(f)}: ${(bytes / 1e6).toFixed(2)} MB, ${lines} lines`);
    assert.ok(bytes <= BUDGET.bytesPerNotebook, `${path.basename(f)} is ${bytes} bytes (budget ${BUDGET.bytesPerNotebook})`);
    assert.ok(lines <= BUDGET.linesPerNotebook, `${path.basename(f)} has ${lines} lines (budget ${BUDGET.linesPerNotebook})`);
  }
  console.log(`${rows.join('\n')}\nall: ${(total / 1e6).toFixed(2)} MB`);
  assert.ok(total <= BUDGET.bytesAll, `the notebooks are ${total} bytes together (budget ${BUDGET.bytesAll})`);
});

test('every notebook is written in the committed form (data arrays one line each)', () => {
  for (const f of files()) {
    const text = fs.readFileSync(f, 'utf8');
    assert.equal(text, serialize(JSON.parse(text) as Notebook), `${path.basename(f)}: rewrite it with tsx scripts/build-notebooks.ts --format`);
  }
  // the form itself: a data column on one line, the rest as nbformat writes it
  const nb = {
    cells: [
      {
        cell_type: 'code',
        id: 'a',
        metadata: {},
        source: ['x'],
        execution_count: null,
        outputs: [
          {
            output_type: 'display_data',
            metadata: {},
            data: { 'application/vnd.vegalite.v5+json': { data: { values: [{ x: Array.from({ length: 60 }, (_, i) => i) }] } }, 'text/plain': ['a\n', 'b'] },
          },
        ],
      },
    ],
    metadata: {},
    nbformat: 4,
    nbformat_minor: 5,
  } as unknown as Notebook;
  const text = serialize(nb);
  assert.match(text, /\n {10}"x": \[0,1,2,[\d,]+,59\]\n/);
  assert.match(text, /"text\/plain": \[\n {7}"a\\n",\n {7}"b"\n {6}\]/);
  assert.deepEqual(JSON.parse(text), nb);
});

test(`code lines of the notebooks are at most ${MAX_CODE_LINE} characters`, () => {
  for (const name of sourceNames()) {
    const src = fs.readFileSync(path.join(SOURCE_DIR, `${name}.md`), 'utf8');
    let inCode = false;
    src.split('\n').forEach((line, i) => {
      if (/^```(ts|typescript)\b/.test(line)) inCode = true;
      else if (line.startsWith('```')) inCode = false;
      else if (inCode) assert.ok([...line].length <= MAX_CODE_LINE, `notebooks/src/${name}.md:${i + 1} has ${[...line].length} characters`);
    });
  }
});

test('the committed outputs: tables as HTML with a text fallback, no box drawing or Markdown pipes, MMD² ×10³', () => {
  for (const f of files()) {
    const nb = JSON.parse(fs.readFileSync(f, 'utf8')) as Notebook;
    const outputs = nb.cells.flatMap((c) => (c.outputs ?? []) as Record<string, any>[]);
    const text = (o: Record<string, any>) => [o.text ?? o.data?.['text/plain'] ?? []].flat().join('');
    for (const o of outputs) {
      assert.doesNotMatch(text(o), /[┌│└─]/, `${path.basename(f)}: console.table box drawing in an output`);
      assert.doesNotMatch(text(o), /^\|.*\|$/m, `${path.basename(f)}: a raw Markdown table in an output`);
      if (o.output_type === 'stream') assert.doesNotMatch(text(o), /continuing .* from epoch/, `${path.basename(f)}: not one clean run`);
      if (o.data?.['text/html']?.length && [o.data['text/html']].flat().join('').includes('<table')) {
        assert.ok(text(o).length > 0, `${path.basename(f)}: an HTML table without its plain-text fallback`);
      }
    }
    const all = outputs.map((o) => text(o) + [o.data?.['text/html'] ?? []].flat().join('')).join('\n');
    if (/MMD/.test(all)) assert.match(all, /MMD² \(×10³\)/, `${path.basename(f)}: MMD shown in another unit`);
  }
});

test('tables: HTML and aligned plain text from the same rows; Markdown tables parsed into rows', () => {
  const rows = [
    { model: 'supervised', epochs: 10, 'test images': 10000, MSE: '0.0192' },
    { model: 'semi-supervised', epochs: 10, 'test images': 10000, MSE: '0.0135' },
  ];
  assert.equal(formatCell(10000), '10,000');
  assert.equal(formatCell(0.019174), '0.01917');
  assert.equal(formatCell(undefined), '-');
  const plain = plainTable(rows);
  assert.equal(
    plain,
    [
      'model            epochs  test images     MSE',
      '---------------  ------  -----------  ------',
      'supervised           10       10,000  0.0192',
      'semi-supervised      10       10,000  0.0135',
    ].join('\n'),
  );
  const html = htmlTable(rows, { caption: 'Reconstruction' });
  assert.equal((html.match(/<tr>/g) ?? []).length, 3);
  assert.match(html, /<caption[^>]*>Reconstruction<\/caption>/);
  assert.match(html, /<td style="text-align:right;white-space:nowrap">10,000<\/td>/);
  const bundle = tableBundle(rows);
  assert.deepEqual(Object.keys(bundle.data).sort(), ['text/html', 'text/plain']);
  const md = 'Results (mean ± std):\n\n| labels | preset | error (%) |\n| ---: | --- | ---: |\n| 100 | paper | 4.16 ± 0.48 |\n| 1000 | fast | 2.27 |\n';
  const t = parseMarkdownTable(md);
  assert.deepEqual(t.rows, [
    { labels: '100', preset: 'paper', 'error (%)': '4.16 ± 0.48' },
    { labels: '1000', preset: 'fast', 'error (%)': '2.27' },
  ]);
  assert.deepEqual(t.options.align, { labels: 'right', preset: 'left', 'error (%)': 'right' });
  assert.equal(t.options.caption, 'Results (mean ± std)');
  assert.doesNotMatch(plainTable(t.rows, t.options), /\|/);
  assert.throws(() => parseMarkdownTable('no table here'), /no Markdown table/);
  assert.equal(wrapPlain('aaa bbb ccc', 7), 'aaa bbb\nccc');
});

test("docs/figures holds exactly README's figures, each the same bytes as its notebook's PNG", () => {
  const root = path.join(__dirname, '..');
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const shown = [...new Set([...readme.matchAll(/docs\/figures\/([\w.-]+--[\w.-]+\.png)/g)].map((m) => m[1]))].sort();
  const dir = path.join(root, 'docs', 'figures');
  assert.deepEqual(
    fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.png'))
      .sort(),
    shown,
    'run /usr/bin/python3 scripts/extract-figures.py',
  );
  for (const file of shown) {
    const [stem, name] = file.replace(/\.png$/, '').split('--');
    const nb = JSON.parse(fs.readFileSync(path.join(NOTEBOOK_DIR, `${stem}.ipynb`), 'utf8')) as Notebook;
    const out = nb.cells.flatMap((c) => (c.outputs ?? []) as Record<string, any>[]).find((o) => o.metadata?.aae_lab?.figure === name);
    assert.ok(out, `${file}: notebook ${stem} shows no figure "${name}"`);
    const png = Buffer.from([out.data['image/png']].flat().join(''), 'base64');
    assert.ok(png.equals(fs.readFileSync(path.join(dir, file))), `${file} differs from the notebook's PNG: run scripts/extract-figures.py`);
  }
});
