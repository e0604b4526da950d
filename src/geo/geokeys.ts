import type { Crs, CrsResult } from "./crs-types";

/** A GeoTIFF coordinate transformation (`ProjCoordTransGeoKey`) that proj4 can express. */
interface Method {
  name: string;
  proj: string;
  wkt: string;
  /** proj4 parameter, WKT parameter, the GeoKeys that may hold it (first present wins), and its default. */
  params: Array<[string, string, string[], number]>;
}

const LAT_0 = ["ProjNatOriginLatGeoKey", "ProjFalseOriginLatGeoKey", "ProjCenterLatGeoKey"];
const LON_0 = ["ProjNatOriginLongGeoKey", "ProjFalseOriginLongGeoKey", "ProjCenterLongGeoKey"];
const SCALE = ["ProjScaleAtNatOriginGeoKey", "ProjScaleAtCenterGeoKey"];
const FALSE_EASTING = ["ProjFalseEastingGeoKey", "ProjFalseOriginEastingGeoKey", "ProjCenterEastingGeoKey"];
const FALSE_NORTHING = ["ProjFalseNorthingGeoKey", "ProjFalseOriginNorthingGeoKey", "ProjCenterNorthingGeoKey"];

const origin = (): Method["params"] => [
  ["lat_0", "latitude_of_origin", LAT_0, 0],
  ["lon_0", "central_meridian", LON_0, 0],
];
const falseOrigin = (): Method["params"] => [
  ["x_0", "false_easting", FALSE_EASTING, 0],
  ["y_0", "false_northing", FALSE_NORTHING, 0],
];
const scaled = (): Method["params"] => [["k_0", "scale_factor", SCALE, 1]];
const parallels = (): Method["params"] => [
  ["lat_1", "standard_parallel_1", ["ProjStdParallel1GeoKey"], 0],
  ["lat_2", "standard_parallel_2", ["ProjStdParallel2GeoKey"], 0],
];
const simple = (name: string, proj: string, wkt: string): Method => ({
  name,
  proj,
  wkt,
  params: [...origin(), ...falseOrigin()],
});

/** GeoTIFF 1.0 coordinate transformation codes (section 6.3.3.3) that map onto a proj4 projection. */
const METHODS = new Map<number, Method>([
  [
    1,
    {
      name: "Transverse Mercator",
      proj: "tmerc",
      wkt: "Transverse_Mercator",
      params: [...origin(), ...scaled(), ...falseOrigin()],
    },
  ],
  [
    7,
    {
      name: "Mercator",
      proj: "merc",
      wkt: "Mercator_1SP",
      params: [["lon_0", "central_meridian", LON_0, 0], ...scaled(), ...falseOrigin()],
    },
  ],
  [
    8,
    {
      name: "Lambert Conformal Conic (2SP)",
      proj: "lcc",
      wkt: "Lambert_Conformal_Conic_2SP",
      params: [...parallels(), ...origin(), ...falseOrigin()],
    },
  ],
  [
    9,
    {
      name: "Lambert Conformal Conic (1SP)",
      proj: "lcc",
      wkt: "Lambert_Conformal_Conic_1SP",
      params: [["lat_1", "latitude_of_origin", LAT_0, 0], ...origin(), ...scaled(), ...falseOrigin()],
    },
  ],
  [10, simple("Lambert Azimuthal Equal Area", "laea", "Lambert_Azimuthal_Equal_Area")],
  [
    11,
    {
      name: "Albers Equal Area",
      proj: "aea",
      wkt: "Albers_Conic_Equal_Area",
      params: [...parallels(), ...origin(), ...falseOrigin()],
    },
  ],
  [12, simple("Azimuthal Equidistant", "aeqd", "Azimuthal_Equidistant")],
  [
    15,
    {
      name: "Polar Stereographic",
      proj: "stere",
      wkt: "Polar_Stereographic",
      params: [
        ["lat_ts", "latitude_of_origin", LAT_0, 90],
        ["lon_0", "central_meridian", ["ProjStraightVertPoleLongGeoKey", ...LON_0], 0],
        ...scaled(),
        ...falseOrigin(),
      ],
    },
  ],
  [
    16,
    {
      name: "Oblique Stereographic",
      proj: "sterea",
      wkt: "Oblique_Stereographic",
      params: [...origin(), ...scaled(), ...falseOrigin()],
    },
  ],
  [
    17,
    {
      name: "Equirectangular",
      proj: "eqc",
      wkt: "Equirectangular",
      params: [
        ["lat_ts", "standard_parallel_1", ["ProjStdParallel1GeoKey", ...LAT_0], 0],
        ...origin(),
        ...falseOrigin(),
      ],
    },
  ],
  [18, simple("Cassini-Soldner", "cass", "Cassini_Soldner")],
  [21, simple("Orthographic", "ortho", "Orthographic")],
  [22, simple("Polyconic", "poly", "Polyconic")],
  [24, simple("Sinusoidal", "sinu", "Sinusoidal")],
]);

/** Ellipsoids by EPSG code: proj4 `+ellps` name, WKT name, semi-major axis, inverse flattening (0: a sphere). */
const ELLIPSOIDS = new Map<number, [string, string, number, number]>([
  [7001, ["airy", "Airy 1830", 6377563.396, 299.3249646]],
  [7004, ["bessel", "Bessel 1841", 6377397.155, 299.1528128]],
  [7008, ["clrk66", "Clarke 1866", 6378206.4, 294.978698213898]],
  [7012, ["clrk80", "Clarke 1880 (RGS)", 6378249.145, 293.465]],
  [7019, ["GRS80", "GRS 1980", 6378137, 298.257222101]],
  [7022, ["intl", "International 1924", 6378388, 297]],
  [7030, ["WGS84", "WGS 84", 6378137, 298.257223563]],
  [7043, ["WGS72", "WGS 72", 6378135, 298.26]],
]);

/** Linear units by EPSG code: metres per unit. */
const LINEAR_UNITS = new Map<number, number>([
  [9001, 1],
  [9002, 0.3048],
  [9003, 1200 / 3937],
]);

type Keys = Record<string, unknown>;

function value(keys: Keys, names: string[]): number | undefined {
  for (const name of names) {
    const v = keys[name];
    if (typeof v === "number" && Number.isFinite(v)) return v;
  }
  return undefined;
}

/** Every projection parameter the file gives, for messages. */
function describeParameters(keys: Keys): string {
  const named = Object.entries(keys).filter(([name]) => /^(Proj|Geog)/.test(name) && name !== "ProjectedCSTypeGeoKey");
  return named.map(([name, v]) => `${name}=${Array.isArray(v) ? v.join(",") : String(v)}`).join(", ");
}

/** The geographic part (datum or ellipsoid) as proj4 parameters and WKT, or why it cannot be read. */
async function geographicPart(
  keys: Keys,
  fromEpsg: (code: number) => Promise<CrsResult>,
): Promise<{ proj4: string; wkt: string } | { reason: string }> {
  const code = value(keys, ["GeographicTypeGeoKey"]);
  const datum = value(keys, ["GeogGeodeticDatumGeoKey"]);
  // EPSG numbers a datum's own geographic CRS 2000 below it (datum 6326 → EPSG:4326).
  const geographicCode =
    code !== undefined && code !== 32767 ? code : datum !== undefined && datum !== 32767 ? datum - 2000 : undefined;
  if (geographicCode !== undefined) {
    const found = await fromEpsg(geographicCode);
    if (!found.valid) return { reason: found.reason };
    const parameters = found.crs.proj4
      .split(/\s+/)
      .filter((p) => p && !/^\+(proj|no_defs|type|units)\b/.test(p))
      .join(" ");
    return { proj4: parameters, wkt: found.crs.wkt };
  }
  const ellipsoid = ELLIPSOIDS.get(value(keys, ["GeogEllipsoidGeoKey"]) ?? 0);
  const a = value(keys, ["GeogSemiMajorAxisGeoKey"]) ?? ellipsoid?.[2];
  const b = value(keys, ["GeogSemiMinorAxisGeoKey"]);
  const rf =
    value(keys, ["GeogInvFlatteningGeoKey"]) ??
    (a !== undefined && b !== undefined && a !== b ? a / (a - b) : ellipsoid?.[3]);
  if (a === undefined) return { reason: "the file names no datum, ellipsoid or semi-major axis" };
  const towgs84 = keys.GeogTOWGS84GeoKey;
  const shift = Array.isArray(towgs84) ? ` +towgs84=${towgs84.join(",")}` : "";
  const wktShift = Array.isArray(towgs84) ? `,TOWGS84[${towgs84.join(",")}]` : "";
  const shape = rf ? `+a=${a} +rf=${rf}` : `+a=${a} +b=${a}`;
  const spheroid = `SPHEROID["${ellipsoid?.[1] ?? "user-defined"}",${a},${rf ?? 0}]`;
  return {
    proj4: `${shape}${shift}`,
    wkt: `GEOGCS["user-defined",DATUM["user-defined",${spheroid}${wktShift}],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]`,
  };
}

/**
 * The CRS of a GeoTIFF that gives its projection's parameters (`ProjCoordTransGeoKey` and the `Proj…GeoKey`s)
 * or a user-defined geographic CRS, as proj4 and WKT. A method proj4 cannot express is refused with its parameters.
 */
export async function userDefinedCrs(
  keys: Keys,
  fromEpsg: (code: number) => Promise<CrsResult>,
): Promise<{ valid: true; crs: Omit<Crs, "metresPerUnit"> } | { valid: false; reason: string }> {
  const geographic = await geographicPart(keys, fromEpsg);
  if ("reason" in geographic) {
    return {
      valid: false,
      reason: `its user-defined CRS cannot be read: ${geographic.reason} (${describeParameters(keys)})`,
    };
  }
  const transformation = value(keys, ["ProjCoordTransGeoKey"]);
  if (transformation === undefined) {
    const proj4 = `+proj=longlat ${geographic.proj4} +no_defs`;
    return {
      valid: true,
      crs: { id: "user-defined", epsg: null, name: "user-defined geographic", proj4, wkt: geographic.wkt },
    };
  }
  const method = METHODS.get(transformation);
  if (!method) {
    return {
      valid: false,
      reason: `its user-defined projection (GeoTIFF coordinate transformation ${transformation}) cannot be expressed by proj4 in this app; parameters: ${describeParameters(keys)}`,
    };
  }
  const unitCode = value(keys, ["ProjLinearUnitsGeoKey"]) ?? 9001;
  const metres = value(keys, ["ProjLinearUnitSizeGeoKey"]) ?? LINEAR_UNITS.get(unitCode);
  if (metres === undefined) {
    return {
      valid: false,
      reason: `its linear unit (EPSG:${unitCode}) is not one the app knows; parameters: ${describeParameters(keys)}`,
    };
  }
  const values = method.params.map(([p4, wkt, names, fallback]) => {
    const v = value(keys, names) ?? fallback;
    // proj4 takes false easting and northing in metres; GeoTIFF gives them in the projection's unit.
    return [p4, wkt, p4 === "x_0" || p4 === "y_0" ? v * metres : v, v] as const;
  });
  const polar = method.proj === "stere" ? ` +lat_0=${(values[0][2] as number) < 0 ? -90 : 90}` : "";
  const proj4 = `+proj=${method.proj}${polar} ${values.map(([p4, , v]) => `+${p4}=${v}`).join(" ")} ${geographic.proj4} +to_meter=${metres} +no_defs`;
  const name = `user-defined ${method.name}`;
  const wktParameters = values.map(([, wkt, , v]) => `PARAMETER["${wkt}",${v}]`).join(",");
  const wkt = `PROJCS["${name}",${geographic.wkt},PROJECTION["${method.wkt}"],${wktParameters},UNIT["unit",${metres}]]`;
  return { valid: true, crs: { id: "user-defined", epsg: null, name, proj4, wkt } };
}
