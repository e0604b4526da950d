/**
 * Finding an annotation's image in a folder the user opened. Annotation files name images relative to the images
 * folder or by absolute paths of the machine that made them; a folder picked in the browser gives paths relative to
 * its parent (`folder/sub/a.png`). An image is found by its exact relative path, else by the longest unique tail of
 * path segments (`/data/DIOR/JPEGImages/01.jpg` finds `JPEGImages/01.jpg`).
 */
export class ImageIndex<T> {
  private readonly byPath = new Map<string, T>();
  private readonly byName = new Map<string, string[]>();

  /** `entries`: each file's path inside the opened folder (its own name first or not) and what to return for it. */
  constructor(entries: Iterable<[path: string, value: T]>) {
    for (const [path, value] of entries) {
      const normal = normalise(path);
      this.byPath.set(normal, value);
      const name = normal.slice(normal.lastIndexOf("/") + 1);
      this.byName.set(name, [...(this.byName.get(name) ?? []), normal]);
    }
  }

  get size(): number {
    return this.byPath.size;
  }

  /** The file for an annotation's image path, or null. */
  find(imagePath: string): T | null {
    const wanted = normalise(imagePath);
    const exact = this.byPath.get(wanted);
    if (exact !== undefined) return exact;
    const segments = wanted.split("/");
    const candidates = this.byName.get(segments[segments.length - 1]) ?? [];
    let best: string | null = null;
    let bestDepth = 0;
    let tie = false;
    for (const candidate of candidates) {
      const depth = sharedTail(segments, candidate.split("/"));
      if (depth > bestDepth) [best, bestDepth, tie] = [candidate, depth, false];
      else if (depth === bestDepth) tie = true;
    }
    return best !== null && !tie ? (this.byPath.get(best) ?? null) : null;
  }
}

function normalise(path: string): string {
  return path.replaceAll("\\", "/").replace(/^\.\//, "").replace(/^\/+/, "");
}

function sharedTail(a: string[], b: string[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[a.length - 1 - n] === b[b.length - 1 - n]) n++;
  return n;
}

/** Whether a file name looks like an image the browser can decode. */
export function isImageName(name: string): boolean {
  return /\.(png|jpe?g|webp|gif|bmp|avif)$/i.test(name);
}
