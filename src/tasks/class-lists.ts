/**
 * The scene classes of the benchmarks GeoZero reports, as each dataset names its folders (lower case, words spaced),
 * so the model is asked with the same names its evaluation compares against.
 */

import { exactMatch, normalizeText, pythonStrip } from "./answer-match";

/** A named list of scene classes. */
export interface ClassList {
  id: string;
  name: string;
  classes: readonly string[];
}

const AID = [
  "airport",
  "bare land",
  "baseball field",
  "beach",
  "bridge",
  "center",
  "church",
  "commercial",
  "dense residential",
  "desert",
  "farmland",
  "forest",
  "industrial",
  "meadow",
  "medium residential",
  "mountain",
  "park",
  "parking",
  "playground",
  "pond",
  "port",
  "railway station",
  "resort",
  "river",
  "school",
  "sparse residential",
  "square",
  "stadium",
  "storage tanks",
  "viaduct",
];

const RESISC45 = [
  "airplane",
  "airport",
  "baseball diamond",
  "basketball court",
  "beach",
  "bridge",
  "chaparral",
  "church",
  "circular farmland",
  "cloud",
  "commercial area",
  "dense residential",
  "desert",
  "forest",
  "freeway",
  "golf course",
  "ground track field",
  "harbor",
  "industrial area",
  "intersection",
  "island",
  "lake",
  "meadow",
  "medium residential",
  "mobile home park",
  "mountain",
  "overpass",
  "palace",
  "parking lot",
  "railway",
  "railway station",
  "rectangular farmland",
  "river",
  "roundabout",
  "runway",
  "sea ice",
  "ship",
  "snowberg",
  "sparse residential",
  "stadium",
  "storage tank",
  "tennis court",
  "terrace",
  "thermal power station",
  "wetland",
];

const UC_MERCED = [
  "agricultural",
  "airplane",
  "baseball diamond",
  "beach",
  "buildings",
  "chaparral",
  "dense residential",
  "forest",
  "freeway",
  "golf course",
  "harbor",
  "intersection",
  "medium residential",
  "mobile home park",
  "overpass",
  "parking lot",
  "river",
  "runway",
  "sparse residential",
  "storage tanks",
  "tennis court",
];

const EUROSAT = [
  "annual crop",
  "forest",
  "herbaceous vegetation",
  "highway",
  "industrial",
  "pasture",
  "permanent crop",
  "residential",
  "river",
  "sea lake",
];

const WHU_RS19 = [
  "airport",
  "beach",
  "bridge",
  "commercial",
  "desert",
  "farmland",
  "football field",
  "forest",
  "industrial",
  "meadow",
  "mountain",
  "park",
  "parking",
  "pond",
  "port",
  "railway station",
  "residential",
  "river",
  "viaduct",
];

const NASC_TG2 = [
  "beach",
  "circular farmland",
  "cloud",
  "desert",
  "forest",
  "mountain",
  "rectangular farmland",
  "residential",
  "river",
  "snowberg",
];

const SIRI_WHU = [
  "agriculture",
  "commercial",
  "harbor",
  "idle land",
  "industrial",
  "meadow",
  "overpass",
  "park",
  "pond",
  "residential",
  "river",
  "water",
];

const FMOW = [
  "airport",
  "airport hangar",
  "airport terminal",
  "amusement park",
  "aquaculture",
  "archaeological site",
  "barn",
  "border checkpoint",
  "burial site",
  "car dealership",
  "construction site",
  "crop field",
  "dam",
  "debris or rubble",
  "educational institution",
  "electric substation",
  "factory or powerplant",
  "fire station",
  "flooded road",
  "fountain",
  "gas station",
  "golf course",
  "ground transportation station",
  "helipad",
  "hospital",
  "impoverished settlement",
  "interchange",
  "lake or pond",
  "lighthouse",
  "military facility",
  "multi-unit residential",
  "nuclear powerplant",
  "office building",
  "oil or gas facility",
  "park",
  "parking lot or garage",
  "place of worship",
  "police station",
  "port",
  "prison",
  "race track",
  "railway bridge",
  "recreational facility",
  "road bridge",
  "runway",
  "shipyard",
  "shopping mall",
  "single-unit residential",
  "smokestack",
  "solar farm",
  "space facility",
  "stadium",
  "storage tank",
  "surface mine",
  "swimming pool",
  "toll booth",
  "tower",
  "tunnel opening",
  "waste disposal",
  "water treatment facility",
  "wind farm",
  "zoo",
];

/** The benchmark lists, in the order the picker shows them. */
export const BENCHMARK_CLASS_LISTS: readonly ClassList[] = [
  { id: "aid", name: "AID (30)", classes: AID },
  { id: "resisc45", name: "NWPU-RESISC45 (45)", classes: RESISC45 },
  { id: "ucm", name: "UC Merced (21)", classes: UC_MERCED },
  { id: "eurosat", name: "EuroSAT (10)", classes: EUROSAT },
  { id: "whu-rs19", name: "WHU-RS19 (19)", classes: WHU_RS19 },
  { id: "nasc-tg2", name: "NASC-TG2 (10)", classes: NASC_TG2 },
  { id: "siri-whu", name: "SIRI-WHU (12)", classes: SIRI_WHU },
  { id: "fmow", name: "fMoW (62)", classes: FMOW },
];

/** The id of the user's own list. */
export const CUSTOM_CLASS_LIST_ID = "custom";

/**
 * Classes typed by the user, one per line or comma-separated: trimmed, empty entries and repeats (ignoring case)
 * dropped, first spelling kept.
 */
export function parseClassList(text: string): string[] {
  const seen = new Set<string>();
  const classes: string[] = [];
  for (const part of text.split(/[\n,;]/)) {
    const name = part.trim().replace(/\s+/g, " ");
    const key = name.toLowerCase();
    if (name === "" || seen.has(key)) continue;
    seen.add(key);
    classes.push(name);
  }
  return classes;
}

/** The classes of a list id: a benchmark's, or the user's for {@link CUSTOM_CLASS_LIST_ID}. */
export function classesFor(listId: string, customClasses: readonly string[]): readonly string[] {
  if (listId === CUSTOM_CLASS_LIST_ID) return customClasses;
  const list = BENCHMARK_CLASS_LISTS.find((l) => l.id === listId);
  if (!list) {
    const known = [...BENCHMARK_CLASS_LISTS.map((l) => l.id), CUSTOM_CLASS_LIST_ID].join(", ");
    throw new Error(`Unknown class list "${listId}". Should be one of: ${known}.`);
  }
  return list.classes;
}

/** How a classification answer reads against the classes asked about. */
export type ClassMatch =
  | { status: "class"; name: string }
  | { status: "not-a-class"; mentioned: string[] }
  | { status: "empty" };

/**
 * Reads an answer as the evaluation scores it: one of the classes when GeoZero's exact match takes it for the class
 * (so "Forest ." is not *forest*: the normalised text keeps a trailing space, and the evaluation scores it wrong).
 * Otherwise the classes the answer mentions, longest first, so the user sees what it meant.
 */
export function matchClass(answer: string, classes: readonly string[]): ClassMatch {
  const said = normalizeText(answer);
  if (pythonStrip(said) === "") return { status: "empty" };
  const exact = classes.find((name) => exactMatch(answer, name));
  if (exact !== undefined) return { status: "class", name: exact };
  const words = ` ${pythonStrip(said)} `;
  const mentioned = classes
    .filter((name) => words.includes(` ${pythonStrip(normalizeText(name))} `))
    .sort((a, b) => b.length - a.length);
  return { status: "not-a-class", mentioned };
}
