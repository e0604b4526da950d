import { lazy, type ReactNode, Suspense, useState } from "react";
import { useInspectStore } from "../inspect/store";
import { CropPanel } from "./CropPanel";
import { useGeoTiffDrop } from "./GeoTiffOpener";
import { HistoryPanel } from "./HistoryPanel";
import { MapPanel } from "./MapPanel";
import { AskPanel } from "./model/AskPanel";
import { ModelPanel } from "./model/ModelPanel";
import { OfflineStatus } from "./OfflineStatus";
import { PageTabs } from "./PageTabs";
import { SelectionPanel } from "./SelectionPanel";
import { SourcePanel } from "./SourcePanel";
import { type Step, StepTabs, stepElementId } from "./StepTabs";
import { SweepPanel } from "./sweep/SweepPanel";
import "./styles.css";

const InspectView = lazy(() => import("./inspect/InspectView"));

/**
 * The application shell: side panel of steps with the map, or the Inspect view. The map stays mounted while Inspect
 * is open, so its view, layers and the loaded model's state survive a visit. On a phone the map takes the screen and
 * the steps sit in a sheet under it, one at a time (styles.css).
 */
export function App() {
  const drop = useGeoTiffDrop();
  const page = useInspectStore((s) => s.page);
  const [step, setStep] = useState<Step>("imagery");
  return (
    <>
      <div className="app" hidden={page !== "map"} data-step={step}>
        <aside className="sidebar" data-testid="sidebar">
          <header className="brand">
            <h1>GeoZero Web</h1>
            <p>Question satellite imagery with a reasoning model — nothing leaves your browser.</p>
            <OfflineStatus showUpdate={page === "map"} />
            {page === "map" && <PageTabs />}
          </header>
          <StepTabs current={step} onPick={setStep} />
          <StepSection step="imagery" current={step}>
            <SourcePanel />
          </StepSection>
          <StepSection step="selection" current={step}>
            <SelectionPanel />
            <CropPanel />
          </StepSection>
          <StepSection step="ask" current={step}>
            <ModelPanel />
            <AskPanel />
            <SweepPanel />
          </StepSection>
          <StepSection step="history" current={step}>
            <HistoryPanel />
          </StepSection>
        </aside>
        <main className={drop.over ? "map-area drop-target" : "map-area"} {...drop.handlers}>
          <MapPanel />
        </main>
      </div>
      {page === "inspect" && (
        <Suspense fallback={<p className="hint">Opening the Inspect view…</p>}>
          <InspectView />
        </Suspense>
      )}
    </>
  );
}

/** One step's panels; on a phone only the current step shows. */
function StepSection({ step, current, children }: { step: Step; current: Step; children: ReactNode }) {
  return (
    <div id={stepElementId(step)} className={step === current ? "step current" : "step"}>
      {children}
    </div>
  );
}
