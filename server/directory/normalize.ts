/**
 * Text normalisation shared by the index writer and the search, so both engines see the same tokens:
 * accents folded in JS (NFKD, combining marks dropped, a few letters that have no decomposition
 * mapped by hand), lower-cased, split on anything that is not a letter or a digit.
 */

const EXTRA_FOLDS: Record<string, string> = {
  ø: "o",
  æ: "ae",
  œ: "oe",
  ß: "ss",
  đ: "d",
  ð: "d",
  ł: "l",
  þ: "th",
  ı: "i",
  ħ: "h",
};
const EXTRA_FOLD_RE = new RegExp(`[${Object.keys(EXTRA_FOLDS).join("")}]`, "gu");

/** Lower-case and fold accents: "Zoë Ødegård" → "zoe odegard". */
export function foldText(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(EXTRA_FOLD_RE, (ch) => EXTRA_FOLDS[ch] ?? ch);
}

/** Folded word tokens of a text: "Ada  Lovelace-Byron" → ["ada", "lovelace", "byron"]. */
export function tokenize(text: string): string[] {
  return foldText(text)
    .split(/[^\p{L}\p{N}]+/u)
    .filter((t) => t.length > 0);
}

/** The indexed form of a name: its tokens joined by single spaces ("" for no name). */
export function nameSearchText(fullName: string | null | undefined): string {
  return fullName ? tokenize(fullName).join(" ") : "";
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * The smallest string greater than every string that starts with `prefix`, in code-point order
 * (= UTF-8 byte order: SQLite BINARY, PostgreSQL COLLATE "C"): `col >= prefix AND col < upper`.
 * Returns null when no such bound exists (prefix ends with U+10FFFF).
 */
export function prefixUpperBound(prefix: string): string | null {
  const chars = Array.from(prefix);
  while (chars.length > 0) {
    const last = chars.pop()!.codePointAt(0)!;
    let next = last + 1;
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000; // skip surrogates
    if (next <= 0x10ffff) return chars.join("") + String.fromCodePoint(next);
  }
  return null;
}
