/** The sidebar's steps; on a phone one shows at a time in the sheet under the map, or none so the map fills it. */
export type Step = "map" | "imagery" | "selection" | "ask" | "history";

const STEPS: Array<[Step, string]> = [
  ["map", "Full map"],
  ["imagery", "Imagery"],
  ["selection", "Selection"],
  ["ask", "Ask"],
  ["history", "History"],
];

/** The id of a step's section in the sidebar. */
export function stepElementId(step: Step): string {
  return `step-${step}`;
}

/** Where a tab scrolls to: the step's start, or for Ask its panel (the Model panel sits right above it). */
function scrollTargetId(step: Step): string {
  return step === "ask" ? "ask-panel" : stepElementId(step);
}

/**
 * Tabs over the steps. On a phone a tab shows its step in the sheet ("Map" folds the sheet away); on a wide screen,
 * where every step shows, it scrolls the sidebar to the step, so Ask is one click away however long the page is.
 */
export function StepTabs({ current, onPick }: { current: Step; onPick(step: Step): void }) {
  const pick = (step: Step) => {
    onPick(step);
    requestAnimationFrame(() => document.getElementById(scrollTargetId(step))?.scrollIntoView({ block: "start" }));
  };
  return (
    <nav className="segmented step-tabs" aria-label="Steps">
      {STEPS.map(([step, label]) => (
        <button
          key={step}
          type="button"
          className={`step-tab-${step}`}
          data-testid={`step-tab-${step}`}
          aria-pressed={current === step}
          onClick={() => pick(step)}
        >
          {label}
        </button>
      ))}
    </nav>
  );
}
