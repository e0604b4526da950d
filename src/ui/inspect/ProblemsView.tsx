import { useShallow } from "zustand/react/shallow";
import type { IdMismatch } from "../../inspect/matching";
import { useInspectStore } from "../../inspect/store";

/** What did not fit while opening, each with what to do; the records that could be read stay shown. */
export function ProblemsView() {
  const { problems, annotations, storageError } = useInspectStore(
    useShallow(({ problems, annotations, storageError }) => ({ problems, annotations, storageError })),
  );
  const { file, lines, repeated, mismatch, missingImages } = problems;
  if (!file && !lines && !repeated && !mismatch && !missingImages && !storageError) return null;
  return (
    <ul className="problems" role="alert" data-testid="problems">
      {file && (
        <li className="error" data-testid="problem-file">
          {file.name}: {file.message}
        </li>
      )}
      {lines && (
        <li className="error" data-testid="problem-lines">
          {lines.count} line{lines.count === 1 ? "" : "s"} of the results file could not be read and{" "}
          {lines.count === 1 ? "was" : "were"} skipped (the file is unchanged):
          <ul>
            {lines.problems.slice(0, 5).map((p) => (
              <li key={p.line}>
                line {p.line}
                {p.id ? ` (${p.id})` : ""}: {p.reason}
              </li>
            ))}
          </ul>
        </li>
      )}
      {repeated && (
        <li className="error" data-testid="problem-repeated">
          {repeated.ids} record id{repeated.ids === 1 ? " occurs" : "s occur"} on more than one line of the results file
          (
          {repeated.examples
            .slice(0, 3)
            .map((e) => `${e.id} on lines ${e.lines.join(", ")}`)
            .join("; ")}
          {repeated.ids > 3 ? "; …" : ""}): the last line of each is shown, as npm run eval reads the file, and the{" "}
          {repeated.replaced} earlier line{repeated.replaced === 1 ? " is" : "s are"} left out of the list and the
          summary. Were two runs joined into one file?
        </li>
      )}
      {mismatch && (
        <li className="error" data-testid="problem-mismatch">
          {mismatchText(mismatch, annotations?.name ?? "the annotation file")} (e.g. {mismatch.examples.join(", ")}):
          were the results written for another annotation file? They stay in the list, marked, and are left out of the
          summary; open the annotation file they were made from.
        </li>
      )}
      {missingImages && (
        <li className="error" data-testid="problem-missing-images">
          {missingImages.samples} sample{missingImages.samples === 1 ? " has" : "s have"} no image in the folder (
          {missingImages.examples.join(", ")}
          {missingImages.samples > missingImages.examples.length ? ", …" : ""}): {missingImages.images.length} image
          {missingImages.images.length === 1 ? " is" : "s are"} missing: {missingImages.images.slice(0, 5).join(", ")}
          {missingImages.images.length > 5 ? ", …" : ""}. Open the folder the annotation file's paths refer to; those
          samples are shown without their image and skipped by a run.
        </li>
      )}
      {storageError && (
        <li className="error" data-testid="problem-storage">
          {storageError}
        </li>
      )}
    </ul>
  );
}

/** "2 of 8 records name no sample of a.json and 3 name a sample that asks something else". */
function mismatchText(mismatch: IdMismatch, file: string): string {
  const parts = [
    mismatch.unmatched > 0 ? `${mismatch.unmatched} name no sample of ${file}` : null,
    mismatch.differing > 0
      ? `${mismatch.differing} name a sample of ${file} that asks something else (another reference box or instruction)`
      : null,
  ].filter((p) => p !== null);
  return `${mismatch.unmatched + mismatch.differing} of ${mismatch.total} records do not fit: ${parts.join(" and ")}`;
}
