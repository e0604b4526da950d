/**
 * A procedural, satellite-like landscape, evaluated per ground point so every zoom of the pyramid shows the same
 * place: fields with furrows, a river, roads, a village of roofs and patches of forest. Deterministic for a seed.
 * It is synthetic imagery, labelled as such wherever it is shown.
 */

/** An RGB colour, 0–255 per channel. */
export type Rgb = [number, number, number];

function hash(x: number, y: number, seed: number): number {
  let h = (x * 374761393 + y * 668265263 + seed * 982451653) | 0;
  h = Math.imul(h ^ (h >>> 13), 1274126177);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

function smoothNoise(x: number, y: number, seed: number): number {
  const xi = Math.floor(x);
  const yi = Math.floor(y);
  const fx = x - xi;
  const fy = y - yi;
  const sx = fx * fx * (3 - 2 * fx);
  const sy = fy * fy * (3 - 2 * fy);
  const top = hash(xi, yi, seed) * (1 - sx) + hash(xi + 1, yi, seed) * sx;
  const bottom = hash(xi, yi + 1, seed) * (1 - sx) + hash(xi + 1, yi + 1, seed) * sx;
  return top * (1 - sy) + bottom * sy;
}

function fractalNoise(x: number, y: number, seed: number, octaves = 4): number {
  let sum = 0;
  let amplitude = 0.5;
  let frequency = 1;
  for (let o = 0; o < octaves; o++) {
    sum += amplitude * smoothNoise(x * frequency, y * frequency, seed + o);
    amplitude /= 2;
    frequency *= 2;
  }
  return sum;
}

const palette = {
  water: [38, 66, 74] as Rgb,
  bank: [112, 104, 78] as Rgb,
  road: [128, 124, 118] as Rgb,
  forest: [38, 62, 34] as Rgb,
  roofs: [
    [150, 72, 58],
    [120, 116, 112],
    [168, 94, 70],
    [96, 92, 90],
  ] as Rgb[],
  yard: [92, 104, 70] as Rgb,
  fields: [
    [118, 134, 68],
    [150, 140, 90],
    [88, 116, 58],
    [170, 158, 112],
    [104, 96, 62],
    [132, 150, 84],
  ] as Rgb[],
};

function shade(colour: Rgb, factor: number): Rgb {
  return colour.map((c) => Math.max(0, Math.min(255, Math.round(c * factor)))) as Rgb;
}

/** Distance in metres from (x, y) to the river's centre line, a meander running south to north. */
function riverDistance(x: number, y: number): number {
  const centre = 420 + 160 * Math.sin(y / 310) + 60 * Math.sin(y / 97 + 1.3);
  return Math.abs(x - centre);
}

function onRoad(x: number, y: number): boolean {
  const ring = Math.abs(y - 1200 - 80 * Math.sin(x / 400)) < 5;
  const northSouth = Math.abs(x - 1350 - 40 * Math.sin(y / 260)) < 4.5;
  const diagonal = Math.abs((x - y) / Math.SQRT2 - 120) < 3.5 && x > 900;
  return ring || northSouth || diagonal;
}

function inVillage(x: number, y: number, seed: number): boolean {
  return Math.hypot(x - 1400, y - 1150) < 330 + 60 * smoothNoise(x / 120, y / 120, seed);
}

/** The roof of the lot at (lotX, lotY) in metres [x1, y1, x2, y2], when the lot has one. */
function roofOfLot(lotX: number, lotY: number, seed: number): [number, number, number, number] | null {
  if (hash(lotX, lotY, seed + 7) >= 0.55) return null;
  return [lotX * 26 + 5, lotY * 22 + 5, lotX * 26 + 20, lotY * 22 + 17];
}

/** Every roof lying wholly in the village and in the area [x1, y1, x2, y2] (metres), for labelled fixtures. */
export function roofsIn(area: [number, number, number, number], seed: number): Array<[number, number, number, number]> {
  const roofs: Array<[number, number, number, number]> = [];
  for (let lotY = Math.floor(area[1] / 22); lotY <= Math.floor(area[3] / 22); lotY++) {
    for (let lotX = Math.floor(area[0] / 26); lotX <= Math.floor(area[2] / 26); lotX++) {
      const roof = roofOfLot(lotX, lotY, seed);
      if (!roof || roof[0] < area[0] || roof[1] < area[1] || roof[2] > area[2] || roof[3] > area[3]) continue;
      const corners: Array<[number, number]> = [
        [roof[0], roof[1]],
        [roof[2], roof[1]],
        [roof[0], roof[3]],
        [roof[2], roof[3]],
      ];
      if (corners.every(([x, y]) => inVillage(x, y, seed))) roofs.push(roof);
    }
  }
  return roofs;
}

function villageColour(x: number, y: number, seed: number): Rgb | null {
  if (!inVillage(x, y, seed)) return null;
  const lotX = Math.floor(x / 26);
  const lotY = Math.floor(y / 22);
  const lx = x - lotX * 26;
  const ly = y - lotY * 22;
  const r = hash(lotX, lotY, seed + 7);
  if (r < 0.55 && lx > 5 && lx < 20 && ly > 5 && ly < 17) {
    const roof = palette.roofs[Math.floor(r * 7) % palette.roofs.length];
    return shade(roof, lx < 12.5 ? 1.08 : 0.88); // two roof slopes lit differently
  }
  return shade(palette.yard, 0.85 + 0.3 * hash(Math.floor(x / 2), Math.floor(y / 2), seed));
}

function fieldColour(x: number, y: number, seed: number): Rgb {
  const warpX = x + 60 * smoothNoise(y / 400, 3.1, seed);
  const warpY = y + 60 * smoothNoise(x / 400, 7.7, seed);
  const cellX = Math.floor(warpX / 190);
  const cellY = Math.floor(warpY / 140);
  const r = hash(cellX, cellY, seed + 3);
  const base = palette.fields[Math.floor(r * palette.fields.length)];
  const angle = r * Math.PI;
  const furrow = Math.sin((x * Math.cos(angle) + y * Math.sin(angle)) / 2.2);
  const texture = 0.88 + 0.18 * fractalNoise(x / 35, y / 35, seed) + 0.05 * furrow;
  const edgeX = Math.min(warpX - cellX * 190, (cellX + 1) * 190 - warpX);
  const edgeY = Math.min(warpY - cellY * 140, (cellY + 1) * 140 - warpY);
  if (Math.min(edgeX, edgeY) < 2.5) return shade(palette.bank, 0.95);
  return shade(base, texture);
}

/**
 * The colour of the ground point (x metres east, y metres south of the scene's north-west corner).
 */
export function groundColour(x: number, y: number, seed: number): Rgb {
  const river = riverDistance(x, y);
  if (river < 24) return shade(palette.water, 0.92 + 0.16 * smoothNoise(x / 14, y / 14, seed));
  if (river < 30) return palette.bank;
  if (onRoad(x, y)) return shade(palette.road, 0.95 + 0.1 * hash(Math.floor(x), Math.floor(y), seed));
  const village = villageColour(x, y, seed);
  if (village) return village;
  const forest = fractalNoise(x / 260, y / 260, seed + 11);
  if (forest > 0.62 || river < 55) {
    const crowns = fractalNoise(x / 6, y / 6, seed + 5, 3);
    return shade(palette.forest, 0.7 + 0.7 * crowns);
  }
  return fieldColour(x, y, seed);
}
