// Typo tolerance: does `needle` occur in `haystack` with at most one edit (a wrong, missing or
// extra character)? Only meaningful for needles of four characters or more.
export function containsWithOneEdit(haystack: string[], needle: string[]): boolean {
  const n = needle.length;
  for (let length = n - 1; length <= n + 1; length += 1) {
    if (length < 2) continue;
    for (let start = 0; start + length <= haystack.length; start += 1) {
      if (editDistanceAtMostOne(haystack, start, length, needle)) return true;
    }
  }
  return false;
}

function editDistanceAtMostOne(text: string[], start: number, length: number, needle: string[]): boolean {
  let i = 0;
  let j = 0;
  let edits = 0;
  while (i < length && j < needle.length) {
    if (text[start + i] === needle[j]) {
      i += 1;
      j += 1;
      continue;
    }
    edits += 1;
    if (edits > 1) return false;
    if (length > needle.length) i += 1;
    else if (length < needle.length) j += 1;
    else {
      i += 1;
      j += 1;
    }
  }
  return edits + (length - i) + (needle.length - j) <= 1;
}
