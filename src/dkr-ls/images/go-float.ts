// Go's `%.Ng` for non-negative finite numbers. JavaScript's toPrecision rounds exact ties
// up (1.125 -> "1.13") where Go rounds them to even ("1.12"), keeps trailing zeros, and
// switches to exponent form at other points, so sizes would differ from docker's.

const TWO_52 = 2 ** 52;

interface Decimal {
  /** Significant digits, no leading or trailing zeros ("" for zero). */
  digits: string;
  /** Position of the decimal point relative to the digits: value = 0.digits × 10^point. */
  point: number;
}

// The exact decimal expansion of a double (every double is a finite binary fraction).
function exactDecimal(value: number): Decimal {
  if (value === 0) return { digits: '', point: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const high = view.getUint32(0);
  const low = view.getUint32(4);
  const biased = (high >>> 20) & 0x7ff;
  let mantissa = (high & 0xfffff) * 2 ** 32 + low;
  let exponent: number;
  if (biased === 0) exponent = -1074;
  else {
    mantissa += TWO_52;
    exponent = biased - 1075;
  }
  let text: string;
  let fraction = 0;
  if (exponent >= 0) text = (BigInt(mantissa) * 2n ** BigInt(exponent)).toString();
  else {
    fraction = -exponent;
    text = (BigInt(mantissa) * 5n ** BigInt(fraction)).toString();
  }
  let point = text.length - fraction;
  let start = 0;
  while (start < text.length && text[start] === '0') start++;
  let end = text.length;
  while (end > start && text[end - 1] === '0') end--;
  const digits = text.slice(start, end);
  point -= start;
  return { digits, point };
}

// Go's decimal rounding: to nearest, exact ties to even (strconv's shouldRoundUp).
function roundDigits(d: Decimal, precision: number): Decimal {
  if (d.digits.length <= precision) return d;
  const next = d.digits.charCodeAt(precision) - 48;
  const rest = d.digits.slice(precision + 1);
  let up: boolean;
  if (next > 5) up = true;
  else if (next < 5) up = false;
  else if (rest.length > 0) up = true;
  else up = precision > 0 && (d.digits.charCodeAt(precision - 1) - 48) % 2 === 1;
  let kept = d.digits.slice(0, precision).split('').map(Number);
  let point = d.point;
  if (up) {
    let i = kept.length - 1;
    while (i >= 0 && kept[i] === 9) {
      kept[i] = 0;
      i--;
    }
    if (i < 0) {
      kept = [1, ...kept];
      point++;
    } else kept[i]++;
  }
  let digits = kept.join('');
  let end = digits.length;
  while (end > 0 && digits[end - 1] === '0') end--;
  digits = digits.slice(0, end);
  return { digits, point };
}

/** `fmt.Sprintf("%.<precision>g", value)` for a non-negative finite number. */
export function formatGoG(value: number, precision: number): string {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`formatGoG: unsupported value ${value}`);
  if (precision === 0) precision = 1;
  const d = roundDigits(exactDecimal(value), precision);
  if (d.digits === '') return '0';
  // strconv's %g: exponent form when the exponent is < -4 or >= the precision, where
  // the precision shrinks to the digit count when all digits are before the point.
  let eprec = precision;
  if (eprec > d.digits.length && d.digits.length >= d.point) eprec = d.digits.length;
  const exp = d.point - 1;
  if (exp < -4 || exp >= eprec) {
    const mantissa = d.digits.length > 1 ? `${d.digits[0]}.${d.digits.slice(1)}` : d.digits;
    const sign = exp < 0 ? '-' : '+';
    const magnitude = Math.abs(exp);
    return `${mantissa}e${sign}${magnitude < 10 ? '0' : ''}${magnitude}`;
  }
  if (d.point <= 0) return `0.${'0'.repeat(-d.point)}${d.digits}`;
  if (d.point >= d.digits.length) return d.digits + '0'.repeat(d.point - d.digits.length);
  return `${d.digits.slice(0, d.point)}.${d.digits.slice(d.point)}`;
}
