/** Figure-rendering benchmark, called by `npm run bench` (lib/bench/bench.ts). Filled in by the figures work. */
export async function benchFigures(): Promise<void> {
  console.log('figures: (not measured yet)');
}
