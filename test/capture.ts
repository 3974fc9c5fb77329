/** In-process runs of the CLIs (main, resultsMain) for the tests, their output captured. */

export interface Run {
  code: number;
  out: string;
  err: string;
  lines: string[];
}

/**
 * Runs an in-process CLI entry with its output captured: console.log (stdout) and stderr. (Not
 * process.stdout.write: the test runner reports results through it.)
 */
export async function capture(f: () => Promise<number>): Promise<Run> {
  let out = '';
  let err = '';
  const log = console.log;
  const error = console.error;
  const ew = process.stderr.write;
  console.log = (...a: unknown[]) => void (out += a.map(String).join(' ') + '\n');
  console.error = (...a: unknown[]) => void (err += a.map(String).join(' ') + '\n');
  process.stderr.write = ((s: string | Uint8Array) => ((err += String(s)), true)) as typeof process.stderr.write;
  let code: number;
  try {
    code = await f();
  } finally {
    console.log = log;
    console.error = error;
    process.stderr.write = ew;
  }
  return { code, out, err, lines: err.split('\n').filter((l) => l.trim() !== '') };
}
