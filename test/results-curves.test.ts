/**
 * docs/curves/*.png (README's results section) are what scripts/results-curves.ts draws from the
 * committed result files: a new result without its redrawn curves fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.join(__dirname, '..');

test('docs/curves holds the curves scripts/results-curves.ts draws from results/, byte for byte', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aae-curves-'));
  try {
    execFileSync(process.execPath, ['--import', 'tsx', path.join(root, 'scripts', 'results-curves.ts'), path.join(root, 'results'), dir], { cwd: root, stdio: 'pipe' });
    const drawn = fs.readdirSync(dir).sort();
    assert.deepEqual(drawn, ['classification.png', 'clustering.png']);
    assert.deepEqual(fs.readdirSync(path.join(root, 'docs', 'curves')).sort(), drawn, 'docs/curves holds these two only');
    for (const f of drawn) {
      assert.ok(fs.readFileSync(path.join(dir, f)).equals(fs.readFileSync(path.join(root, 'docs', 'curves', f))), `${f}: redraw it with /usr/bin/python3 scripts/update-results-tables.py`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
