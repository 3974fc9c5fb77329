/** What both CLIs share: stdout/stderr that may close early, options given twice, exit codes. */
import type { Command } from 'commander';

let ignoring = false;
/**
 * A reader that goes away (`aae ... | head -1`) closes stdout: later writes fail with EPIPE. That
 * must not stop a run or its figures, so EPIPE on stdout and stderr is ignored (the output is
 * dropped); other stream errors are reported once on stderr.
 */
export function ignoreClosedOutput(): void {
  if (ignoring) return;
  ignoring = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') return;
      if (stream !== process.stderr) process.stderr.write(`output error on stdout: ${e.message}\n`);
    });
  }
}

/**
 * Makes `cmd` reject an option given more than once (commander keeps the last): a usage error
 * naming the option and both values.
 */
export function rejectRepeatedOptions(cmd: Command): void {
  const seen = new Map<string, string>();
  for (const o of cmd.options) {
    const name = o.name();
    cmd.on(`option:${name}`, (value: unknown) => {
      const shown = value === undefined ? '' : ` ${String(value)}`;
      const earlier = seen.get(name);
      if (earlier !== undefined) {
        cmd.error(`error: option '${o.long}' given more than once (${o.long}${earlier}, ${o.long}${shown}); give it once`, {
          code: 'commander.repeatedOption',
          exitCode: 2,
        });
      }
      seen.set(name, shown);
    });
  }
}

/** Exit codes of both CLIs: README and environment.md document them. */
export const EXIT = { done: 0, failure: 1, usage: 2, interrupted: 130 } as const;
