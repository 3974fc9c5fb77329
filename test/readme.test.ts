/**
 * README's code is run as written: every ```js block of README.md, as a module of a fresh npm
 * project (`npm init`, then `npm install <this checkout>` and nothing else), with plain node.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..');
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]);

let project: string;
before(() => {
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'aae-readme-'));
  process.on('exit', () => fs.rmSync(project, { recursive: true, force: true }));
  execFileSync('npm', ['init', '-y'], { cwd: project, stdio: 'ignore' });
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', ROOT], { cwd: project, stdio: 'ignore' });
});

/** Runs one README block in the project; its stdout, stderr and the files it wrote. */
function runBlock(i: number): { stdout: string; stderr: string; files: string[] } {
  const dir = fs.mkdtempSync(path.join(project, `block-${i}-`));
  fs.writeFileSync(path.join(dir, 'block.mjs'), blocks[i]);
  const r = spawnSync(process.execPath, ['block.mjs'], { cwd: dir, encoding: 'utf8', timeout: 600_000, env: { ...process.env, OPENBLAS_NUM_THREADS: '1' } });
  assert.equal(r.status, 0, `README block ${i + 1} exited ${r.status}:\n${blocks[i]}\n--- stderr:\n${r.stderr}`);
  const files = fs.readdirSync(dir, { recursive: true }).map(String).sort();
  return { stdout: r.stdout, stderr: r.stderr, files };
}

test('the fresh project holds aae-lab and nothing else; README has its code blocks', () => {
  assert.deepEqual(
    fs.readdirSync(path.join(project, 'node_modules')).filter((n) => !n.startsWith('.')),
    ['aae-lab'],
  );
  assert.ok(blocks.length >= 4, `README's js blocks: ${blocks.length}`);
  const usage = blocks[0].split('\n').filter((l) => l.trim() !== '');
  assert.ok(usage.length <= 20, `the usage script has ${usage.length} lines; README promises 15-20`);
});

test("README's usage script trains on Fashion-MNIST, plots, saves and loads the same model; the backend is reported once", () => {
  const r = runBlock(0);
  assert.match(r.stdout, /^epoch 1: val 0\.\d+$/m);
  assert.match(r.stdout, /^epoch 2: val 0\.\d+$/m);
  assert.match(r.stdout, /^same codes: true$/m);
  for (const f of ['codes.png', 'codes.svg', 'fashion.aae', 'figures/restoration.png', 'figures/latent_scatter.png', 'figures/manifold.png']) assert.ok(r.files.includes(f), `${f} in ${r.files}`);
  assert.equal(r.stderr.match(/aae-lab: backend /g)?.length, 1, r.stderr);
});

test("README's other blocks run as written (a prior and an encoder of your own, arrays as a data set, a tfjs-layers encoder)", () => {
  for (let i = 1; i < blocks.length; i++) {
    const r = runBlock(i);
    assert.doesNotMatch(r.stderr, /Error/, `block ${i + 1}: ${r.stderr}`);
    // Each block that saves its experiment wrote the file.
    for (const m of blocks[i].matchAll(/\.save\('([^']+)'\)/g)) assert.ok(r.files.includes(m[1]), `block ${i + 1} wrote ${m[1]}: ${r.files}`);
  }
});
