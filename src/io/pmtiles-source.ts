import type { RangeResponse, Source } from "pmtiles";
import type { ByteSource } from "./source";

/**
 * pmtiles' `Source` over the project's `ByteSource`, so PMTiles archives are read like GeoTIFFs: by range, with the
 * same errors. Reads past the end are clamped to the archive's size (pmtiles asks for a 16 kB header whatever the
 * size).
 */
export class PmtilesByteSource implements Source {
  private size: Promise<number> | undefined;

  constructor(private readonly bytes: ByteSource) {}

  getKey(): string {
    return this.bytes.key;
  }

  async getBytes(offset: number, length: number, signal?: AbortSignal): Promise<RangeResponse> {
    this.size ??= this.bytes.size(signal);
    const size = await this.size.catch((error: unknown) => {
      this.size = undefined;
      throw error;
    });
    const clamped = Math.max(0, Math.min(length, size - offset));
    const data = clamped === 0 ? new Uint8Array(0) : await this.bytes.getBytes(offset, clamped, signal);
    return { data: data.slice().buffer as ArrayBuffer };
  }
}
