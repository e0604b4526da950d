import { type DragEvent, useState } from "react";

/** An element files can be dropped on: its handlers, and whether something is held over it now. */
export function useDropTarget(onDrop: (transfer: DataTransfer) => void) {
  const [over, setOver] = useState(false);
  const handlers = {
    onDragOver: (event: DragEvent) => {
      event.preventDefault();
      setOver(true);
    },
    onDragLeave: () => setOver(false),
    onDrop: (event: DragEvent) => {
      event.preventDefault();
      setOver(false);
      onDrop(event.dataTransfer);
    },
  };
  return { over, handlers };
}
