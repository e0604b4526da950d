import { useState } from "react";
import { textPreview } from "./format";

/**
 * Text that shows its start when long, with a button to show all of it and fold it again; the sidebar stays short
 * after a 10,000-character question. `prefix` goes before the text ("Sends: ").
 */
export function LongText({
  text,
  testId,
  prefix = "",
  className,
  maxChars = 280,
  maxLines = 6,
}: {
  text: string;
  testId: string;
  prefix?: string;
  className?: string;
  maxChars?: number;
  maxLines?: number;
}) {
  const [expanded, setExpanded] = useState(false);
  const preview = textPreview(text, maxChars, maxLines);
  return (
    <div className={className ? `long-text ${className}` : "long-text"}>
      <p data-testid={testId} data-collapsed={preview !== null && !expanded}>
        {prefix}
        {preview === null || expanded ? text : `${preview}…`}
      </p>
      {preview !== null && (
        <button
          type="button"
          className="link"
          data-testid={`${testId}-toggle`}
          aria-expanded={expanded}
          onClick={() => setExpanded(!expanded)}
        >
          {expanded ? "Show less" : `Show all ${text.length.toLocaleString("en")} characters`}
        </button>
      )}
    </div>
  );
}
