/** Metres as "850 m" or "2.35 km". */
export function formatMetres(m: number): string {
  return m >= 1000 ? `${(m / 1000).toFixed(2)} km` : `${m.toFixed(0)} m`;
}

/** A ground sample distance, "0.60 m/px". */
export function formatGsd(gsd: number): string {
  return `${gsd < 10 ? gsd.toFixed(2) : gsd.toFixed(1)} m/px`;
}
