// Character n-grams of normalized text: the segmentation this router uses (see the closing note of
// issue 4 for the comparison with a morphological analyzer and a compact segmenter). Japanese has
// no spaces, and residents' typos, dialect endings and word order break word boundaries anyway;
// overlapping 2- and 3-grams keep most of a phrase's evidence through all of that.
export function charNgrams(text: string, sizes: readonly number[] = [2, 3]): string[] {
  const chars = [...text.replace(/ /g, "␣")];
  const grams: string[] = [];
  for (const size of sizes) {
    for (let start = 0; start + size <= chars.length; start += 1) grams.push(chars.slice(start, start + size).join(""));
  }
  if (chars.length === 1) grams.push(chars[0]!);
  return grams;
}
