/**
 * object-hash writes a Date as `'date:' + date.toJSON()`. V8's toJSON/toISOString cost about a
 * microsecond, most of a key's budget, so `dateJson` computes the same text from the time value
 * when it can prove toJSON would produce it: the Date has none of the methods toJSON goes through
 * (toJSON, valueOf, Symbol.toPrimitive, toISOString) overridden, and the built-ins were native
 * when this module loaded. Otherwise it calls toJSON itself. The property test compares both
 * with object-hash over the whole Date range, invalid dates included.
 */
const proto = Date.prototype;
const TO_JSON = proto.toJSON;
const TO_ISO_STRING = proto.toISOString;
const VALUE_OF = proto.valueOf;
const TO_PRIMITIVE = proto[Symbol.toPrimitive];

function isNative(method: unknown): boolean {
  return (
    typeof method === 'function' &&
    /\{\s*\[native code\]\s*\}\s*$/.test(Function.prototype.toString.call(method))
  );
}

const BUILT_INS_INTACT = [TO_JSON, TO_ISO_STRING, VALUE_OF, TO_PRIMITIVE].every(isNative);

const DAY = 86_400_000;

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

// Digit groups from tables: padStart per field made formatting cost several hundred ns.
const TWO_DIGITS = Array.from({ length: 100 }, (_, value) => pad(value, 2));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, value) => pad(value, 3));

/** Date.prototype.toISOString of a finite time value, by the days-to-civil-date algorithm. */
export function isoText(time: number): string {
  const days = Math.floor(time / DAY);
  let inDay = time - days * DAY;
  const shifted = days + 719_468; // days since 0000-03-01, so leap days end each year
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear =
    dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hours = Math.floor(inDay / 3_600_000);
  inDay -= hours * 3_600_000;
  const minutes = Math.floor(inDay / 60_000);
  inDay -= minutes * 60_000;
  const seconds = Math.floor(inDay / 1000);
  const millis = inDay - seconds * 1000;
  const yearText =
    year >= 1000 && year <= 9999
      ? String(year)
      : year >= 0 && year <= 9999
        ? pad(year, 4)
        : `${year < 0 ? '-' : '+'}${pad(Math.abs(year), 6)}`;
  return (
    `${yearText}-${TWO_DIGITS[month]}-${TWO_DIGITS[day]}T${TWO_DIGITS[hours]}:` +
    `${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds]}.${THREE_DIGITS[millis]}Z`
  );
}

/** What `date.toJSON()` returns, as the text object-hash appends after `date:`. */
export function dateJson(date: Date): string {
  if (
    BUILT_INS_INTACT &&
    date.toJSON === TO_JSON &&
    date.valueOf === VALUE_OF &&
    date[Symbol.toPrimitive] === TO_PRIMITIVE &&
    date.toISOString === TO_ISO_STRING
  ) {
    const time = date.valueOf();
    return Number.isFinite(time) ? isoText(time) : 'null';
  }
  // biome-ignore lint/style/useTemplate: `+` converts through valueOf, as object-hash's does
  return '' + date.toJSON();
}
