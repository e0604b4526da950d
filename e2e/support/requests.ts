import type { Page } from "@playwright/test";

/** Records every request the page makes that leaves the app's origin (blob and data URLs aside). */
export function recordForeignRequests(page: Page, origin: string): string[] {
  const foreign: string[] = [];
  page.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith(origin) && !url.startsWith("blob:") && !url.startsWith("data:")) foreign.push(url);
  });
  return foreign;
}
