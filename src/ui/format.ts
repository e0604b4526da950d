/** Metres as "850 m" or "2.35 km". */
export function formatMetres(m: number): string {
  return m >= 1000 ? `${(m / 1000).toFixed(2)} km` : `${m.toFixed(0)} m`;
}

/** A ground sample distance, "0.60 m/px". */
export function formatGsd(gsd: number): string {
  return `${gsd < 10 ? gsd.toFixed(2) : gsd.toFixed(1)} m/px`;
}

/**
 * The start of a long text, cut at `maxChars` characters or `maxLines` lines, whichever comes first; null when the
 * text fits whole.
 */
export function textPreview(text: string, maxChars: number, maxLines: number): string | null {
  const lineEnds = [...text.matchAll(/\n/g)].map((m) => m.index ?? 0);
  const byLines = lineEnds.length >= maxLines ? lineEnds[maxLines - 1] : text.length;
  const cut = Math.min(byLines, maxChars);
  return cut < text.length ? text.slice(0, cut).trimEnd() : null;
}
