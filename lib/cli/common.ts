/**
 * What both CLIs share about their command lines: options built from the settings table, the usage
 * error and the exit codes, stdout/stderr that may close early, options given twice.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from '../errors';
import { LockError } from '../lock';
import { DataError } from '../data/mnist';
import { CheckpointError } from '../train/checkpoint';
import { WriteError } from '../atomic-write';
import { helpDefault, optionName, settingsOf, type CommandName, type Setting } from '../settings/table';

/** Thrown for a bad option: exit code 2, one line naming the option, the value and the choices. */
export class UsageError extends ConfigError {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Training stopped for a reason the user should know (divergence): exit 1, the message says what was kept. */
export class TrainingFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingFailed';
  }
}

/** Exit codes of both CLIs: README and environment.md document them. */
export const EXIT = { done: 0, failure: 1, usage: 2, interrupted: 130 } as const;

/** The one-line message and exit code of an error the user can act on; null for a bug (rethrown). */
export function errorExit(e: unknown): { message: string; code: number } | null {
  if (e instanceof ConfigError || e instanceof LockError) return { message: e.message, code: EXIT.usage };
  if (e instanceof DataError || e instanceof CheckpointError || e instanceof WriteError || e instanceof TrainingFailed) return { message: e.message, code: EXIT.failure };
  return null;
}

/** The parser of a setting's value: a bad value is commander's "argument 'x' is invalid. <why>". */
function parserOf(s: Setting): ((v: string) => unknown) | undefined {
  const name = optionName(s);
  const p = s.parse;
  switch (p.kind) {
    case 'int':
      return (value) => {
        const n = Number(value);
        if (!/^[-+]?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < p.min || n > p.max) {
          throw new InvalidArgumentError(`${name} must be an integer from ${p.min} to ${p.max}.`);
        }
        return n;
      };
    case 'number':
      return (value) => {
        const n = Number(value);
        if (value.trim() === '' || !Number.isFinite(n) || n < p.min || n > p.max) {
          throw new InvalidArgumentError(`${name} must be a number from ${p.min} to ${p.max}.`);
        }
        return n;
      };
    case 'string':
      if (!p.check) return undefined;
      return (value) => {
        try {
          p.check!(value);
        } catch (e) {
          throw new InvalidArgumentError((e as Error).message);
        }
        return value;
      };
    case 'ints':
      // The sizes as text, one form per network: "1000" (two layers of 1000: also for "1000,1000") or "500,250".
      return (value) => {
        const parts = value.split(',').map((x) => x.trim());
        const ns = parts.map(Number);
        if (parts.length > p.maxItems || parts.some((x) => !/^\+?\d+$/.test(x)) || ns.some((n) => !Number.isSafeInteger(n) || n < p.min || n > p.max)) {
          throw new InvalidArgumentError(`${name} must be an integer from ${p.min} to ${p.max}, or a list of 1 to ${p.maxItems} of them separated by commas (e.g. 500,250).`);
        }
        return ns.length === 2 && ns[0] === ns[1] ? String(ns[0]) : ns.join(',');
      };
    case 'bool':
      return (value) => {
        const v = value.toLowerCase();
        if (['true', '1', 'yes', 'on'].includes(v)) return true;
        if (['false', '0', 'no', 'off'].includes(v)) return false;
        throw new InvalidArgumentError('expected true or false.');
      };
    case 'choice':
      // choices with a pattern besides the listed ones (--prior gaussian_mixture:16)
      if (!p.accepts) return undefined;
      return (value) => {
        if (!p.accepts!(value)) throw new InvalidArgumentError(`Allowed choices are ${p.choices.join(', ')}.`);
        return value;
      };
    default:
      return undefined;
  }
}

/** Adds the options of `command` from the settings table to `cmd`. */
export function addSettings(cmd: Command, command: CommandName): Command {
  for (const s of settingsOf(command)) {
    const o = new Option(s.flag!, s.help + helpDefault(s, command));
    if (s.parse.kind === 'choice') o.choices(s.parse.choices);
    const parse = parserOf(s);
    if (parse) o.argParser(parse);
    const d = s.defaults?.[command];
    if (d !== undefined) o.default(d);
    if (s.mandatory?.includes(command)) o.makeOptionMandatory();
    cmd.addOption(o);
  }
  return cmd;
}

/** The keys of the options given on the command line (not defaults). */
export function givenOptions(cmd: Command): (key: string) => boolean {
  return (key) => cmd.getOptionValueSource(key) === 'cli';
}

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
