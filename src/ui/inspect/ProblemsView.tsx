import { useShallow } from "zustand/react/shallow";
import { useInspectStore } from "../../inspect/store";

/** What did not fit while opening, each with what to do; the records that could be read stay shown. */
export function ProblemsView() {
  const { problems, annotations, storageError } = useInspectStore(
    useShallow(({ problems, annotations, storageError }) => ({ problems, annotations, storageError })),
  );
  const { file, lines, mismatch, missingImages } = problems;
  if (!file && !lines && !mismatch && missingImages.length === 0 && !storageError) return null;
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
      {mismatch && (
        <li className="error" data-testid="problem-mismatch">
          {mismatch.unmatched} of {mismatch.total} records name no sample of{" "}
          {annotations?.name ?? "the annotation file"} (e.g. {mismatch.examples.join(", ")}): were the results written
          for another annotation file? They are shown from what the records hold; open the annotation file they were
          made from.
        </li>
      )}
      {missingImages.length > 0 && (
        <li className="error" data-testid="problem-missing-images">
          {missingImages.length} image{missingImages.length === 1 ? " is" : "s are"} missing from the folder:{" "}
          {missingImages.slice(0, 5).join(", ")}
          {missingImages.length > 5 ? ", …" : ""}. Open the folder the annotation file's paths refer to; samples without
          their image are shown without it and skipped by a run.
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
