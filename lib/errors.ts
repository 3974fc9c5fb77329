/**
 * Error classes shared by the library and the CLIs.
 *
 * ConfigError: a bad argument, option or setting (a config field, a data or training option, a
 * checkpoint expectation), named with its value and the valid choices. The CLIs map this class, and
 * only this one, to exit code 2; JavaScript's own RangeErrors (an invalid typed-array length, a stack
 * overflow) are not bad options. It extends RangeError so that code catching RangeError still does.
 */
export class ConfigError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Throws a ConfigError unless `v` is an integer from 1 to `max`, naming the field (a config's checks share it). */
export function checkPositiveInt(name: string, v: unknown, max: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
    throw new ConfigError(`${name} must be an integer from 1 to ${max}, got ${String(v)}`);
  }
}
