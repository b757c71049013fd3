// Makes a parsed JSON value storable in Postgres as it is, or says why it is not.
//
// Postgres refuses two things JSON.parse lets through (checked on Postgres 15 and PGlite):
// - U+0000: a text value cannot hold a NUL byte ("invalid byte sequence for encoding UTF8: 0x00",
//   SQLSTATE 22021), and jsonb refuses the escape "\u0000" ("unsupported Unicode escape
//   sequence", 22P05);
// - a lone UTF-16 surrogate (an escape such as "\ud800" without its pair): jsonb refuses it
//   (22P02); a text value gets it silently replaced by the driver's UTF-8 encoder.
// Both are replaced by U+FFFD (REPLACEMENT CHARACTER), in values and in keys, the way a UTF-8
// decoder replaces what it cannot read: the rest of the text is kept.
//
// And one thing Node cannot do: JSON.stringify recurses, and fails with "Maximum call stack size
// exceeded" on values nested a few thousand levels deep (the webhook's 1 MiB allows ~500,000).
// Anything deeper than `maxDepth` is replaced by a marker string and reported, never walked.

export const REPLACEMENT_CHARACTER = "\ufffd";

// What an over-deep value is replaced by.
export const TOO_DEEP_MARKER = "[removed: nested too deep]";

export interface StorableJson {
  value: unknown;
  // How many strings (values or keys) had a character replaced.
  replacedStrings: number;
  // Something nested deeper than maxDepth was replaced by TOO_DEEP_MARKER.
  tooDeep: boolean;
}

// ES2024's String.prototype.isWellFormed and toWellFormed (in Node since 20.0; the project's
// TypeScript lib is ES2023): toWellFormed replaces each lone surrogate by U+FFFD.
type WellFormedString = string & { isWellFormed(): boolean; toWellFormed(): string };

// The string with NULs and lone surrogates replaced by U+FFFD; the same string when it had none.
export function storableText(text: string): string {
  const withoutNul = text.includes("\u0000") ? text.replaceAll("\u0000", REPLACEMENT_CHARACTER) : text;
  const checked = withoutNul as WellFormedString;
  return checked.isWellFormed() ? withoutNul : checked.toWellFormed();
}

// `value` (a result of JSON.parse) with every string storableText. Depth 0 is `value` itself; an
// object or array at depth `maxDepth` or deeper becomes TOO_DEEP_MARKER. A value that needs no
// change, as every real LINE event, is returned as it is: it is only read to check (the webhook's
// every event passes here, and a copy of each was a measurable share of its garbage collection).
// Otherwise the result is a copy, and `value` is left untouched.
export function toStorableJson(value: unknown, maxDepth: number): StorableJson {
  const result: StorableJson = { value, replacedStrings: 0, tooDeep: false };
  if (isStorable(value, 0, maxDepth)) return result;
  result.value = clean(value, 0, maxDepth, result);
  return result;
}

function isStorable(value: unknown, depth: number, maxDepth: number): boolean {
  if (typeof value === "string") return storableText(value) === value;
  if (value === null || typeof value !== "object") return true;
  if (depth >= maxDepth) return false;
  if (Array.isArray(value)) return value.every((item) => isStorable(item, depth + 1, maxDepth));
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (storableText(key) !== key || !isStorable((value as Record<string, unknown>)[key], depth + 1, maxDepth)) return false;
  }
  return true;
}

function clean(value: unknown, depth: number, maxDepth: number, result: StorableJson): unknown {
  if (typeof value === "string") return cleanString(value, result);
  if (value === null || typeof value !== "object") return value;
  if (depth >= maxDepth) {
    result.tooDeep = true;
    return TOO_DEEP_MARKER;
  }
  if (Array.isArray(value)) return value.map((item) => clean(item, depth + 1, maxDepth, result));
  // Object.fromEntries defines each key as an own property, so a key such as "__proto__" (which
  // JSON.parse also keeps as an own property) stays data instead of setting the prototype.
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [cleanString(key, result), clean(item, depth + 1, maxDepth, result)]),
  );
}

function cleanString(text: string, result: StorableJson): string {
  const storable = storableText(text);
  if (storable !== text) result.replacedStrings += 1;
  return storable;
}
