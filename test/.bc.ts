import { checkBundles, notebookBundles, findChromium } from '/work/wt-nb/test/browser-check';
(async () => {
  const files = process.argv.slice(2);
  const bundles = files.flatMap(notebookBundles);
  const t = Date.now();
  const r = await checkBundles(findChromium()!, bundles, { log: (l) => console.log(l) });
  console.log(r.checked, r.sliders, r.problems.length, (Date.now() - t) / 1000, 's');
})();
