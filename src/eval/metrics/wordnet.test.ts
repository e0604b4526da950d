/**
 * The WordNet reader against NLTK's. Expected values were printed by NLTK git f2a92bd7e (3.8.1+, the local mirror of
 * nltk/nltk) reading Debian's wordnet-base 1:3.0-37 (WordNet 3.0) — see meteor.test.ts for exactly how — and are kept
 * as literals: `wn._morphy(word, pos)` and `sorted(set(l.name() for s in wn.synsets(word) for l in s.lemmas() if
 * l.name().find("_") < 0))`. A one-off sweep of the same comparison over 196,650 words (every fifth single-word lemma
 * of the four index files with -s/-es/-ed/-ing/-er/-est/-ies/-men added, every exception-list form, and the Porter
 * stems of all of these) found no difference.
 *
 * Needs the database in /usr/share/wordnet: `apt-get install wordnet-base`.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  lemmaNamesOfDataLine,
  morphy,
  openWordNet,
  parseExceptionFile,
  parseIndexFile,
  WordNetMissingError,
  type WordNetPos,
} from "./wordnet";

const wordnet = openWordNet();

describe("morphy (NLTK's WordNetCorpusReader._morphy on WordNet 3.0)", () => {
  it.each<[string, Record<WordNetPos, string[]>]>([
    ["planes", { n: ["plane"], v: ["plane", "plan"], a: [], r: [] }],
    ["geese", { n: ["goose"], v: [], a: [], r: [] }],
    ["running", { n: ["running"], v: ["run"], a: ["running"], r: [] }],
    ["better", { n: ["better"], v: ["better"], a: ["better", "good", "well"], r: ["better", "well"] }],
    ["leaves", { n: ["leaf", "leave"], v: ["leave"], a: [], r: [] }],
    ["axes", { n: ["ax", "axis"], v: ["axe", "ax"], a: [], r: [] }],
    ["men", { n: ["men", "man"], v: [], a: [], r: [] }],
    ["ran", { n: [], v: ["run"], a: [], r: [] }],
    ["flies", { n: ["flies", "fly"], v: ["fly"], a: [], r: [] }],
    ["abaci", { n: ["abacus"], v: [], a: [], r: [] }],
    ["aardwolves", { n: ["aardwolf"], v: [], a: [], r: [] }],
    ["worse", { n: ["worse"], v: [], a: ["worse", "bad"], r: ["worse"] }],
    ["taken", { n: [], v: ["take"], a: ["taken"], r: [] }],
    ["larg", { n: [], v: [], a: [], r: [] }],
  ])("%s", (word, expected) => {
    for (const pos of ["n", "v", "a", "r"] as const) expect(wordnet.morphy(word, pos), pos).toEqual(expected[pos]);
  });
});

describe("synonyms (the lemma names NLTK's _enum_wordnetsyn_match collects)", () => {
  it.each([
    ["sea", ["ocean", "sea"]],
    ["airstrip", ["airstrip", "strip"]],
    ["forest", ["afforest", "forest", "timber", "timberland", "wood", "woodland", "woods"]],
    ["car", ["auto", "automobile", "car", "gondola", "machine", "motorcar", "railcar"]],
    ["harbor", ["entertain", "harbor", "harbour", "haven", "hold", "nurse", "seaport", "shield"]],
    ["us", ["America", "U", "U.S.", "U.S.A.", "US", "USA", "u", "uracil", "uranium"]],
    ["larg", []],
  ])("%s", (word, expected) => {
    expect([...wordnet.synonyms(word)].sort()).toEqual(expected);
  });

  it("keeps multi-word lemmas out and lemma case in", () => {
    const car = wordnet.synsetLemmaNames("car");
    expect(car.slice(0, 2)).toEqual([
      ["car", "auto", "automobile", "machine", "motorcar"],
      ["car", "railcar", "railway_car", "railroad_car"],
    ]);
    expect(wordnet.synonyms("car").has("railway_car")).toBe(false);
    expect(wordnet.synonyms("us").has("America")).toBe(true);
    expect(wordnet.synonyms("us").has("america")).toBe(false);
  });
});

describe("database parsing", () => {
  it("reads an index.adj line past their pointer symbols, skipping the licence header", () => {
    const index = parseIndexFile(
      "  1 This software and database is being provided\nbig a 13 5 ! & = + ; 13 5 01382086 01276872 01510444 01453084 00579622 02402440 01890753 01890188 01488616 01191780 01114658 01111418 00173391  \n",
    );
    expect(index.get("big")?.get("a")).toEqual([
      1382086, 1276872, 1510444, 1453084, 579622, 2402440, 1890753, 1890188, 1488616, 1191780, 1114658, 1111418, 173391,
    ]);
    expect(index.size).toBe(1);
  });

  it("drops the adjective markers from lemma names as NLTK's pattern does", () => {
    const line =
      '00019731 00 s 02 handy 0 ready_to_hand(p) 0 002 & 00019131 a 0000 + 04718999 n 0101 | easy to reach; "found a handy spot"';
    expect(lemmaNamesOfDataLine(line)).toEqual(["handy", "ready_to_hand"]);
    expect(lemmaNamesOfDataLine("00014358 00 s 02 abounding 0 galore(ip) 0 001 & 00013887 a 0000 | x")).toEqual([
      "abounding",
      "galore",
    ]);
  });

  it("lets an exception entry end the search even where none of its forms is listed", () => {
    const index = parseIndexFile("walk v 1 0 1 0 00000001\n");
    const exceptions = { n: new Map(), v: parseExceptionFile("walks strolls\n"), a: new Map(), r: new Map() };
    expect(morphy({ index, exceptions }, "walks", "v")).toEqual([]);
    expect(morphy({ index, exceptions: { ...exceptions, v: new Map() } }, "walks", "v")).toEqual(["walk"]);
  });

  it("refuses a folder without the database, naming the files and the Debian package", () => {
    const empty = mkdtempSync(join(tmpdir(), "no-wordnet-"));
    expect(() => openWordNet(empty)).toThrow(WordNetMissingError);
    expect(() => openWordNet(empty)).toThrow(
      /missing index\.noun, data\.noun, noun\.exc.*apt-get install wordnet-base/,
    );
  });
});
