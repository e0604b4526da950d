import type { CroppedImage } from "../imagery/types";
import { finished, openDatabase, promised } from "../state/idb";
import { useAppStore } from "../state/store";
import { showCrop } from "./imagery";

const DB_NAME = "geozero-session";
const STORE = "crops";
/** Names this tab's session across reloads (sessionStorage lives as long as the tab). */
const SESSION_KEY = "geozero-session-id";
/** Crops of sessions older than this are removed when a new crop is kept. */
const KEEP_MS = 2 * 24 * 3600 * 1000;

interface SessionCrop {
  sessionId: string;
  savedAt: number;
  image: CroppedImage;
}

function sessionId(): string {
  const known = sessionStorage.getItem(SESSION_KEY);
  if (known) return known;
  const created = crypto.randomUUID();
  sessionStorage.setItem(SESSION_KEY, created);
  return created;
}

function open(): Promise<IDBDatabase> {
  return openDatabase(DB_NAME, 1, (db) => db.createObjectStore(STORE, { keyPath: "sessionId" }));
}

async function save(image: CroppedImage): Promise<void> {
  const db = await open();
  const now = Date.now();
  const store = db.transaction(STORE, "readwrite").objectStore(STORE);
  const record: SessionCrop = { sessionId: sessionId(), savedAt: now, image };
  store.put(record);
  const all = await promised(store.getAll() as IDBRequest<SessionCrop[]>);
  for (const old of all) if (now - old.savedAt > KEEP_MS) store.delete(old.sessionId);
  await finished(store.transaction);
  db.close();
}

async function load(): Promise<CroppedImage | null> {
  if (!sessionStorage.getItem(SESSION_KEY)) return null;
  const db = await open();
  const record = await promised(
    db.transaction(STORE, "readonly").objectStore(STORE).get(sessionId()) as IDBRequest<SessionCrop | undefined>,
  );
  db.close();
  return record?.image ?? null;
}

/**
 * Keeps this tab's last crop in IndexedDB and brings it back after a reload, unless a new crop was made or started
 * first. A browser that cannot store it keeps working without: the crop is then lost on reload, as before.
 */
export async function keepSessionCrop(): Promise<void> {
  useAppStore.subscribe((state, previous) => {
    if (state.lastImage && state.lastImage !== previous.lastImage) void save(state.lastImage.image).catch(() => {});
  });
  const image = await load().catch(() => null);
  const { lastImage, crop } = useAppStore.getState();
  if (!image || lastImage || crop.status === "running") return;
  showCrop(image);
}
