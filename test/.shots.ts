import { chromium } from 'playwright-core';
import { CHROMIUM_FLAGS } from './browser-check';
(async () => {
  const [dir, out] = process.argv.slice(2);
  const fs = require('fs');
  const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
  const page = await b.newPage({ viewport: { width: 1100, height: 1400 } });
  for (const f of fs.readdirSync(dir).filter((f: string) => f.endsWith('.html'))) {
    await page.goto('file://' + dir + '/' + f);
    await page.waitForTimeout(300);
    const h = await page.evaluate(() => document.documentElement.scrollHeight);
    const seg = 1400;
    for (let y = 0, i = 0; y < h; y += seg, i++) {
      await page.screenshot({ path: `${out}/${f.replace('.html', '')}-${i}.png`, clip: { x: 0, y, width: 1100, height: Math.min(seg, h - y) }, fullPage: true });
    }
    console.log(f, h);
  }
  await b.close();
})();
