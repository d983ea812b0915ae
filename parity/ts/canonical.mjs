// Canonical JSON, as docs/parity.md defines it: the same function as parity/canonical.py.
// Sorted keys; RFC 3339 timestamps in UTC with `Z` and no trailing zeros in the fraction;
// integral numbers as integers; others as their shortest round-trip decimal, no exponent.

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/;

/** An RFC 3339 date-time in UTC with `Z`; other strings are returned unchanged. */
export function timestamp(text) {
  const match = TIMESTAMP.exec(text);
  if (match === null) return text;
  const [, date, clock, fraction = '', zone] = match;
  const offset = zone === 'Z' || zone === 'z' ? '+00:00' : zone;
  // Whole seconds through Date (exact), the fraction kept as written: Date has only milliseconds.
  const when = new Date(`${date}T${clock}${offset}`);
  const digits = fraction.replace(/0+$/, '');
  return `${when.toISOString().slice(0, 19)}${digits ? `.${digits}` : ''}Z`;
}

/** Integral values as integers, others as the shortest round-trip plain decimal. */
export function number(value) {
  if (!Number.isFinite(value)) throw new Error(`${value} is not a JSON number`);
  if (Number.isInteger(value)) return BigInt(value).toString();
  const text = String(value);
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (match === null) return text;
  const [, sign, lead, rest = '', exp] = match;
  const digits = lead + rest;
  const point = 1 + Number(exp);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** The canonical JSON text of a parsed JSON value. */
export function dumps(value) {
  if (value === null || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') return number(value);
  if (typeof value === 'string') return JSON.stringify(timestamp(value));
  if (Array.isArray(value)) return `[${value.map(dumps).join(',')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${keys.map((k) => `${JSON.stringify(k)}:${dumps(value[k])}`).join(',')}}`;
  }
  throw new Error(`not a JSON value: ${typeof value}`);
}

/** Each place where two JSON values differ canonically, as `path: expected X, got Y`. */
export function differences(expected, actual, path = '$') {
  const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObject(expected) && isObject(actual)) {
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
    return keys.flatMap((key) => {
      if (!(key in actual)) return [`${path}.${key}: expected ${dumps(expected[key])}, got <missing>`];
      if (!(key in expected)) return [`${path}.${key}: expected <missing>, got ${dumps(actual[key])}`];
      return differences(expected[key], actual[key], `${path}.${key}`);
    });
  }
  if (Array.isArray(expected) && Array.isArray(actual) && expected.length === actual.length) {
    return expected.flatMap((item, i) => differences(item, actual[i], `${path}[${i}]`));
  }
  const [left, right] = [dumps(expected), dumps(actual)];
  return left === right ? [] : [`${path}: expected ${left}, got ${right}`];
}
