/**
 * NLTK's `PorterStemmer()` in its default NLTK_EXTENSIONS mode (nltk/stem/porter.py), the stemmer NLTK's METEOR uses:
 * the original algorithm plus NLTK's irregular forms, the 4-letter `ies`/`ied` rules, the `y` → `i` condition, `alli`,
 * `fulli`, `logi` and the two-letter `cvc` case. Ported rule for rule; rule lists stop at the first matching suffix.
 */

type Condition = ((stem: string) => boolean) | null;
type Rule = [suffix: string, replacement: string, condition: Condition];

const IRREGULAR_FORMS: Record<string, string[]> = {
  sky: ["sky", "skies"],
  die: ["dying"],
  lie: ["lying"],
  tie: ["tying"],
  news: ["news"],
  inning: ["innings", "inning"],
  outing: ["outings", "outing"],
  canning: ["cannings", "canning"],
  howe: ["howe"],
  proceed: ["proceed"],
  exceed: ["exceed"],
  succeed: ["succeed"],
};
const POOL = new Map(Object.entries(IRREGULAR_FORMS).flatMap(([key, forms]) => forms.map((f) => [f, key] as const)));
const VOWELS = new Set(["a", "e", "i", "o", "u"]);

function isConsonant(word: string, i: number): boolean {
  if (VOWELS.has(word[i])) return false;
  if (word[i] === "y") return i === 0 ? true : !isConsonant(word, i - 1);
  return true;
}

function measure(stem: string): number {
  let sequence = "";
  for (let i = 0; i < stem.length; i++) sequence += isConsonant(stem, i) ? "c" : "v";
  return sequence.split("vc").length - 1;
}

const hasPositiveMeasure = (stem: string) => measure(stem) > 0;

function containsVowel(stem: string): boolean {
  for (let i = 0; i < stem.length; i++) if (!isConsonant(stem, i)) return true;
  return false;
}

function endsDoubleConsonant(word: string): boolean {
  return word.length >= 2 && word.at(-1) === word.at(-2) && isConsonant(word, word.length - 1);
}

function endsCvc(word: string): boolean {
  const n = word.length;
  return (
    (n >= 3 &&
      isConsonant(word, n - 3) &&
      !isConsonant(word, n - 2) &&
      isConsonant(word, n - 1) &&
      !["w", "x", "y"].includes(word[n - 1])) ||
    (n === 2 && !isConsonant(word, 0) && isConsonant(word, 1))
  );
}

function replaceSuffix(word: string, suffix: string, replacement: string): string {
  return suffix === "" ? word + replacement : word.slice(0, -suffix.length) + replacement;
}

function applyRules(word: string, rules: Rule[]): string {
  for (const [suffix, replacement, condition] of rules) {
    if (suffix === "*d" && endsDoubleConsonant(word)) {
      const stem = word.slice(0, -2);
      return condition === null || condition(stem) ? stem + replacement : word;
    }
    if (word.endsWith(suffix)) {
      const stem = replaceSuffix(word, suffix, "");
      return condition === null || condition(stem) ? stem + replacement : word;
    }
  }
  return word;
}

function step1a(word: string): string {
  if (word.endsWith("ies") && word.length === 4) return replaceSuffix(word, "ies", "ie");
  return applyRules(word, [
    ["sses", "ss", null],
    ["ies", "i", null],
    ["ss", "ss", null],
    ["s", "", null],
  ]);
}

function step1b(word: string): string {
  if (word.endsWith("ied")) return replaceSuffix(word, "ied", word.length === 4 ? "ie" : "i");
  if (word.endsWith("eed")) {
    const stem = replaceSuffix(word, "eed", "");
    return measure(stem) > 0 ? `${stem}ee` : word;
  }
  let intermediate: string | null = null;
  for (const suffix of ["ed", "ing"]) {
    if (word.endsWith(suffix)) {
      const candidate = replaceSuffix(word, suffix, "");
      if (containsVowel(candidate)) {
        intermediate = candidate;
        break;
      }
    }
  }
  if (intermediate === null) return word;
  const last = intermediate.at(-1) ?? "";
  return applyRules(intermediate, [
    ["at", "ate", null],
    ["bl", "ble", null],
    ["iz", "ize", null],
    ["*d", last, () => !["l", "s", "z"].includes(last)],
    ["", "e", (stem) => measure(stem) === 1 && endsCvc(stem)],
  ]);
}

function step1c(word: string): string {
  return applyRules(word, [["y", "i", (stem) => stem.length > 1 && isConsonant(stem, stem.length - 1)]]);
}

function step2(word: string): string {
  if (word.endsWith("alli") && hasPositiveMeasure(replaceSuffix(word, "alli", ""))) {
    return step2(replaceSuffix(word, "alli", "al"));
  }
  const rules: Rule[] = [
    ["ational", "ate", hasPositiveMeasure],
    ["tional", "tion", hasPositiveMeasure],
    ["enci", "ence", hasPositiveMeasure],
    ["anci", "ance", hasPositiveMeasure],
    ["izer", "ize", hasPositiveMeasure],
    ["bli", "ble", hasPositiveMeasure],
    ["alli", "al", hasPositiveMeasure],
    ["entli", "ent", hasPositiveMeasure],
    ["eli", "e", hasPositiveMeasure],
    ["ousli", "ous", hasPositiveMeasure],
    ["ization", "ize", hasPositiveMeasure],
    ["ation", "ate", hasPositiveMeasure],
    ["ator", "ate", hasPositiveMeasure],
    ["alism", "al", hasPositiveMeasure],
    ["iveness", "ive", hasPositiveMeasure],
    ["fulness", "ful", hasPositiveMeasure],
    ["ousness", "ous", hasPositiveMeasure],
    ["aliti", "al", hasPositiveMeasure],
    ["iviti", "ive", hasPositiveMeasure],
    ["biliti", "ble", hasPositiveMeasure],
    ["fulli", "ful", hasPositiveMeasure],
    ["logi", "log", () => hasPositiveMeasure(word.slice(0, -3))],
  ];
  return applyRules(word, rules);
}

function step3(word: string): string {
  return applyRules(word, [
    ["icate", "ic", hasPositiveMeasure],
    ["ative", "", hasPositiveMeasure],
    ["alize", "al", hasPositiveMeasure],
    ["iciti", "ic", hasPositiveMeasure],
    ["ical", "ic", hasPositiveMeasure],
    ["ful", "", hasPositiveMeasure],
    ["ness", "", hasPositiveMeasure],
  ]);
}

function step4(word: string): string {
  const measureAbove1 = (stem: string) => measure(stem) > 1;
  const suffixes = ["al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent"];
  const rules: Rule[] = suffixes.map((s) => [s, "", measureAbove1]);
  rules.push(["ion", "", (stem) => measure(stem) > 1 && ["s", "t"].includes(stem.at(-1) ?? "")]);
  for (const s of ["ou", "ism", "ate", "iti", "ous", "ive", "ize"]) rules.push([s, "", measureAbove1]);
  return applyRules(word, rules);
}

function step5a(word: string): string {
  if (word.endsWith("e")) {
    const stem = replaceSuffix(word, "e", "");
    if (measure(stem) > 1) return stem;
    if (measure(stem) === 1 && !endsCvc(stem)) return stem;
  }
  return word;
}

function step5b(word: string): string {
  return applyRules(word, [["ll", "l", () => measure(word.slice(0, -1)) > 1]]);
}

/** `PorterStemmer().stem(word)`: lower-cased, irregular forms looked up, words of ≤ 2 letters kept. */
export function porterStem(word: string): string {
  const lower = word.toLowerCase();
  const irregular = POOL.get(word);
  if (irregular !== undefined) return irregular;
  if (word.length <= 2) return lower;
  let stem = lower;
  for (const step of [step1a, step1b, step1c, step2, step3, step4, step5a, step5b]) stem = step(stem);
  return stem;
}
