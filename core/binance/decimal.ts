/**
 * Binance decimal strings <-> integer mantissas, exactly (no float on the way). Binance's SBE streams
 * carry BTCUSDT prices and quantities with exponent -8, which the JSON streams print as
 * "69769.88000000"; converting through parseFloat would round.
 */

export class DecimalFormatError extends Error {
  override readonly name = 'DecimalFormatError';
  constructor(text: string, reason: string) {
    super(`Cannot read "${text}" as a decimal: ${reason}.`);
  }
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/** The mantissa m such that m * 10^exponent equals `text` exactly (exponent <= 0). */
export function parseDecimalMantissa(text: string, exponent: number): number {
  const match = DECIMAL.exec(text);
  if (!match) throw new DecimalFormatError(text, 'not a plain decimal number');
  const [, sign, whole, fraction = ''] = match;
  const places = -exponent;
  const kept = fraction.slice(0, places);
  if (/[^0]/.test(fraction.slice(places))) {
    throw new DecimalFormatError(text, `more than ${places} significant decimal places`);
  }
  const digits = `${whole}${kept.padEnd(places, '0')}`;
  const mantissa = Number(digits);
  if (!Number.isSafeInteger(mantissa)) throw new DecimalFormatError(text, 'mantissa beyond 2^53');
  return sign === '-' && mantissa !== 0 ? -mantissa : mantissa;
}

/** `formatDecimal(6976988000000, -8)` is "69769.88000000", as Binance prints it. */
export function formatDecimal(mantissa: number, exponent: number): string {
  if (exponent >= 0) return String(mantissa * 10 ** exponent);
  const places = -exponent;
  const negative = mantissa < 0;
  const digits = String(Math.abs(mantissa)).padStart(places + 1, '0');
  const text = `${digits.slice(0, -places)}.${digits.slice(-places)}`;
  return negative ? `-${text}` : text;
}

/**
 * A mantissa as the double nearest to the decimal it stands for: m / 10^-e is one correctly rounded
 * division (m * 10^e would round twice, 10^-8 itself being inexact). Every program that computes
 * features converts this way, so they agree bit for bit.
 */
export function mantissaToNumber(mantissa: number, exponent: number): number {
  return exponent < 0 ? mantissa / 10 ** -exponent : mantissa * 10 ** exponent;
}
