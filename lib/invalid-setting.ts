/**
 * The one way a CDK-side setting is rejected, in configuration and constructs alike: before anything
 * is built, naming who rejects it, the setting, its value and what would be valid, e.g.
 * `KinesisConsumer DepthConsumer: invalid batchSize 20000: need 1 to 10000.`
 */
export class InvalidSettingError extends Error {
  public override readonly name = 'InvalidSettingError';

  public constructor(
    /** Who rejects it: `Environment prod`, `PipelineFunction Aggregator`… */
    public readonly where: string,
    public readonly setting: string,
    public readonly value: unknown,
    public readonly expected: string,
  ) {
    super(`${where}: invalid ${setting} ${JSON.stringify(value)}: ${expected}.`);
  }
}

/** Throws an InvalidSettingError: `invalidSetting(where, 'timeout', '20 seconds', 'need …')`. */
export function invalidSetting(where: string, setting: string, value: unknown, expected: string): never {
  throw new InvalidSettingError(where, setting, value, expected);
}

/** A checker bound to one owner: `const check = settingChecker('Warehouse Db'); check(ok, …)`. */
export function settingChecker(
  where: string,
): (ok: boolean, setting: string, value: unknown, expected: string) => void {
  return (ok, setting, value, expected) => {
    if (!ok) invalidSetting(where, setting, value, expected);
  };
}

/** An integer in [min, max]. */
export function isIntIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}
