import { type PointerEvent, type ReactNode, useCallback, useEffect, useRef, useState } from "react";

interface View {
  scale: number;
  x: number;
  y: number;
}

/** The view zoomed by `factor` about the frame point (px, py), which stays put. */
function zoomed(v: View, factor: number, px: number, py: number): View {
  const scale = Math.min(64, Math.max(0.05, v.scale * factor));
  const k = scale / v.scale;
  return { scale, x: px - (px - v.x) * k, y: py - (py - v.y) * k };
}

/**
 * Zoom (wheel, +/−) and pan (drag) over content of `width × height` pixels; a double click or "Fit" fits it again.
 * `children` gets the current scale, so labels and strokes can keep their size on screen.
 */
export function ZoomPan({
  width,
  height,
  children,
}: {
  width: number;
  height: number;
  children: (scale: number) => ReactNode;
}) {
  const frame = useRef<HTMLDivElement>(null);
  const [view, setView] = useState<View>({ scale: 1, x: 0, y: 0 });
  const drag = useRef<{ x: number; y: number; view: View } | null>(null);

  const fit = useCallback(() => {
    const box = frame.current?.getBoundingClientRect();
    if (!box || width === 0 || height === 0) return;
    const scale = Math.min(box.width / width, box.height / height);
    setView({ scale, x: (box.width - width * scale) / 2, y: (box.height - height * scale) / 2 });
  }, [width, height]);
  useEffect(fit, [fit]);

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
        <button type="button" onClick={fit}>
          Fit
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
