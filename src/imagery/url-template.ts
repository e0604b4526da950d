/** The result of checking a tile URL template the user typed. */
export type UrlTemplateValidation = { valid: true; template: string } | { valid: false; reason: string };

/**
 * Checks an XYZ/TMS tile URL template: http(s) only, with `{z}`, `{x}` and `{y}` (or `{-y}` for TMS rows).
 */
export function validateUrlTemplate(input: string): UrlTemplateValidation {
  const template = input.trim();
  if (template === "")
    return { valid: false, reason: "Enter a tile URL such as https://example.com/tiles/{z}/{x}/{y}.png." };
  let url: URL;
  try {
    url = new URL(template.replace(/\{(-?[a-z]+)\}/g, "0"));
  } catch {
    return {
      valid: false,
      reason: `"${template}" is not a URL; it should start with https:// and contain {z}/{x}/{y}.`,
    };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return { valid: false, reason: `Only http(s) tile URLs can be loaded; "${url.protocol}" is not supported.` };
  }
  const missing = ["{z}", "{x}"].filter((token) => !template.includes(token));
  if (!template.includes("{y}") && !template.includes("{-y}")) missing.push("{y}");
  if (missing.length > 0) {
    return {
      valid: false,
      reason: `The template lacks ${missing.join(", ")}; tile URLs need {z}, {x} and {y} (or {-y} for TMS).`,
    };
  }
  return { valid: true, template };
}

/** Fills a validated template for one tile. `{-y}` is the TMS row, counted from the south. */
export function expandUrlTemplate(template: string, z: number, x: number, y: number): string {
  return template
    .replaceAll("{z}", String(z))
    .replaceAll("{x}", String(x))
    .replaceAll("{y}", String(y))
    .replaceAll("{-y}", String(2 ** z - 1 - y));
}
