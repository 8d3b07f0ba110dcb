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

/** 10^k for the fast path below. */
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * The common case read by a character loop (history replays parse millions): unsigned digits with at
 * most `-exponent` decimals and a mantissa well inside 2^53; anything else takes the exact path below.
 */
function fastMantissa(text: string, places: number): number {
  let whole = 0;
  let fraction = 0;
  let decimals = -1;
  let wholeDigits = 0;
  const n = text.length;
  if (n === 0 || n > 17) return -1;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */) {
      if (decimals >= 0) return -1;
      decimals = 0;
    } else if (c >= 48 && c <= 57) {
      if (decimals < 0) {
        whole = whole * 10 + (c - 48);
        wholeDigits++;
      } else {
        if (++decimals > places) return -1;
        fraction = fraction * 10 + (c - 48);
      }
    } else return -1;
  }
  // "123." and ".5" are not Binance decimals: the exact path refuses them.
  if (decimals === 0 || wholeDigits === 0) return -1;
  const m = whole * (POW10[places] as number) + fraction * (POW10[places - Math.max(decimals, 0)] as number);
  return m <= 2 ** 52 ? m : -1;
}

/** The mantissa m such that m * 10^exponent equals `text` exactly (exponent <= 0). */
export function parseDecimalMantissa(text: string, exponent: number): number {
  if (exponent <= 0 && exponent >= -15) {
    const fast = fastMantissa(text, -exponent);
    if (fast >= 0) return fast;
  }
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
