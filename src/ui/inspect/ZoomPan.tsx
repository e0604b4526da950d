import { type PointerEvent, type ReactNode, useCallback, useEffect, useRef, useState } from "react";
import type { Box } from "../../eval/metrics/grounding";
import type { ZoomMode } from "../../inspect/store";

interface View {
  scale: number;
  x: number;
  y: number;
}

/** The view zoomed by `factor` about the frame point (px, py), which stays put. */
function zoomed(v: View, factor: number, px: number, py: number): View {
  const scale = Math.min(MAX_SCALE, Math.max(0.05, v.scale * factor));
  const k = scale / v.scale;
  return { scale, x: px - (px - v.x) * k, y: py - (py - v.y) * k };
}

/** The most a view zooms in (64 screen pixels per image pixel). */
const MAX_SCALE = 64;

/** The area around the boxes a "Boxes" view shows: a quarter of their larger side on each side, at least 16 px. */
function withMargin([x1, y1, x2, y2]: Box): Box {
  const margin = Math.max(16, 0.25 * Math.max(x2 - x1, y2 - y1));
  return [x1 - margin, y1 - margin, x2 + margin, y2 + margin];
}

/** The view that shows `area` (content pixels) whole and centred in a frame of `frame` CSS pixels. */
function viewOf(area: Box, frame: { width: number; height: number }): View {
  const [x1, y1, x2, y2] = area;
  const scale = Math.min(MAX_SCALE, frame.width / (x2 - x1), frame.height / (y2 - y1));
  return {
    scale,
    x: frame.width / 2 - ((x1 + x2) / 2) * scale,
    y: frame.height / 2 - ((y1 + y2) / 2) * scale,
  };
}

/**
 * Zoom (wheel, +/−) and pan (drag) over content of `width × height` pixels. It opens as `mode` says — the whole content
 * ("Fit", also on a double click) or zoomed to `focus` ("Boxes": small boxes in a large image are more than specks);
 * the mode is the caller's, so it holds from one sample to the next. `children` gets the current scale, so labels and
 * strokes can keep their size on screen.
 */
export function ZoomPan({
  width,
  height,
  focus,
  mode,
  onMode,
  children,
}: {
  width: number;
  height: number;
  /** The content area the "Boxes" mode shows (with a margin); null where there is none. */
  focus: Box | null;
  mode: ZoomMode;
  onMode: (mode: ZoomMode) => void;
  children: (scale: number) => ReactNode;
}) {
  const frame = useRef<HTMLDivElement>(null);
  const [view, setView] = useState<View>({ scale: 1, x: 0, y: 0 });
  const drag = useRef<{ x: number; y: number; view: View } | null>(null);

  const apply = useCallback(
    (next: ZoomMode) => {
      const box = frame.current?.getBoundingClientRect();
      if (!box || width === 0 || height === 0) return;
      const area: Box = next === "boxes" && focus ? withMargin(focus) : [0, 0, width, height];
      setView(viewOf(area, box));
    },
    [width, height, focus],
  );
  useEffect(() => apply(mode), [apply, mode]);
  const choose = (next: ZoomMode) => {
    onMode(next);
    apply(next);
  };
  const fit = () => choose("fit");

  const zoomCentre = (factor: number) => {
    const box = frame.current?.getBoundingClientRect();
    if (box) setView((v) => zoomed(v, factor, box.width / 2, box.height / 2));
  };

  useEffect(() => {
    const element = frame.current;
    if (!element) return;
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      const box = element.getBoundingClientRect();
      const factor = event.deltaY < 0 ? 1.2 : 1 / 1.2;
      setView((v) => zoomed(v, factor, event.clientX - box.left, event.clientY - box.top));
    };
    element.addEventListener("wheel", onWheel, { passive: false });
    return () => element.removeEventListener("wheel", onWheel);
  }, []);

  const onPointerDown = (event: PointerEvent) => {
    drag.current = { x: event.clientX, y: event.clientY, view };
    (event.target as Element).setPointerCapture?.(event.pointerId);
  };
  const onPointerMove = (event: PointerEvent) => {
    const start = drag.current;
    if (!start) return;
    setView({ ...start.view, x: start.view.x + event.clientX - start.x, y: start.view.y + event.clientY - start.y });
  };

  return (
    <div className="zoom-pan">
      <div className="zoom-buttons">
        <button type="button" aria-label="Zoom in" data-testid="zoom-in" onClick={() => zoomCentre(1.5)}>
          +
        </button>
        <button type="button" aria-label="Zoom out" onClick={() => zoomCentre(1 / 1.5)}>
          −
        </button>
        <button type="button" data-testid="zoom-fit" aria-pressed={mode === "fit"} onClick={fit}>
          Fit
        </button>
        <button
          type="button"
          data-testid="zoom-boxes"
          aria-pressed={mode === "boxes"}
          disabled={focus === null}
          title="Zoom to the reference and predicted boxes, at every sample until Fit"
          onClick={() => choose("boxes")}
        >
          Boxes
        </button>
        <span className="hint" data-testid="zoom-level">
          {Math.round(view.scale * 100)}%
        </span>
      </div>
      <div
        ref={frame}
        className="zoom-frame"
        role="application"
        aria-label="Sample image: drag to pan, wheel or +/− to zoom, double-click to fit"
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={() => {
          drag.current = null;
        }}
        onDoubleClick={fit}
      >
        <div
          className="zoom-content"
          style={{ width, height, transform: `translate(${view.x}px, ${view.y}px) scale(${view.scale})` }}
        >
          {children(view.scale)}
        </div>
      </div>
    </div>
  );
}
