import { expect, type Page, test } from "@playwright/test";
import { writeArrayBuffer } from "geotiff";

const WIDTH = 200;
const HEIGHT = 150;

/** A GeoTIFF near the sample area: green with a red square in its middle. */
function geoTiffBuffer(keys: Record<string, number>): Buffer {
  const values = new Uint8Array(WIDTH * HEIGHT * 3);
  for (let row = 0; row < HEIGHT; row++) {
    for (let col = 0; col < WIDTH; col++) {
      const inSquare = Math.abs(col - WIDTH / 2) < 30 && Math.abs(row - HEIGHT / 2) < 30;
      values.set(inSquare ? [230, 30, 30] : [40, 160, 60], (row * WIDTH + col) * 3);
    }
  }
  return Buffer.from(
    writeArrayBuffer(values, {
      width: WIDTH,
      height: HEIGHT,
      SamplesPerPixel: 3,
      BitsPerSample: [8, 8, 8],
      PhotometricInterpretation: 2,
      ModelPixelScale: [0.0001, 0.0001, 0],
      ModelTiepoint: [0, 0, 0, 10.1, 48.1, 0],
      ...keys,
    }),
  );
}

async function open(page: Page, name: string, buffer: Buffer): Promise<void> {
  await page.getByTestId("geotiff-input").setInputFiles({ name, mimeType: "image/tiff", buffer });
}

test("a GeoTIFF in EPSG:4326 is placed on the map, becomes the source, and can be cropped", async ({ page }) => {
  await page.goto("/");
  await open(page, "field.tif", geoTiffBuffer({ GTModelTypeGeoKey: 2, GeographicTypeGeoKey: 4326 }));
  await expect(page.getByTestId("source-select")).toHaveValue(/^geotiff:field.tif:/);
  await expect(page.getByTestId("source-attribution")).toContainText("Your file field.tif");
  // The map moved to the file: its centre is the file's centre.
  await expect
    .poll(async () =>
      page.evaluate(() => {
        const hooks = (
          window as unknown as { __geozero: { map(): { map: { getCenter(): { lng: number; lat: number } } } } }
        ).__geozero;
        const c = hooks.map().map.getCenter();
        return [Number(c.lng.toFixed(3)), Number(c.lat.toFixed(2))];
      }),
    )
    .toEqual([10.11, 48.09]);

  await page.getByTestId("bbox-editor").waitFor({ state: "detached" });
  await page.evaluate(() => {
    const hooks = (window as unknown as { __geozero: { store: { getState(): { setRectangle(b: object): void } } } })
      .__geozero;
    hooks.store.getState().setRectangle({ west: 10.1085, south: 48.0897, east: 10.1115, north: 48.0903 });
  });
  await page.getByTestId("crop-button").click();
  await expect(page.getByTestId("crop-preview")).toBeVisible({ timeout: 30_000 });
  const centre = await page.getByTestId("crop-preview-image").evaluate(async (img: HTMLImageElement) => {
    const canvas = new OffscreenCanvas(img.naturalWidth, img.naturalHeight);
    const context = canvas.getContext("2d") as OffscreenCanvasRenderingContext2D;
    context.drawImage(img, 0, 0);
    return Array.from(context.getImageData(img.naturalWidth >> 1, img.naturalHeight >> 1, 1, 1).data);
  });
  expect(centre).toEqual([230, 30, 30, 255]);
});

test("a GeoTIFF in another projection is refused with its EPSG code and the reprojection command", async ({ page }) => {
  await page.goto("/");
  await open(page, "utm.tif", geoTiffBuffer({ GTModelTypeGeoKey: 1, ProjectedCSTypeGeoKey: 32632 }));
  await expect(page.getByTestId("geotiff-error")).toContainText("EPSG:32632");
  await expect(page.getByTestId("geotiff-error")).toContainText("gdalwarp -t_srs EPSG:3857");
  await expect(page.getByTestId("source-select")).toHaveValue("sample");
});

test("a file that is not a GeoTIFF is refused by name", async ({ page }) => {
  await page.goto("/");
  await page
    .getByTestId("geotiff-input")
    .setInputFiles({ name: "notes.tif", mimeType: "image/tiff", buffer: Buffer.from("hello") });
  await expect(page.getByTestId("geotiff-error")).toContainText("notes.tif is not a GeoTIFF");
});
