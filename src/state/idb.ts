/** Promises over IndexedDB's request and transaction events, for the app's small typed database wrappers. */

/** Resolves with a request's result. */
export function promised<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error("IndexedDB request failed"));
  });
}

/** Resolves when a transaction commits. */
export function finished(transaction: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error ?? new Error("IndexedDB transaction failed"));
    transaction.onabort = () => reject(transaction.error ?? new Error("IndexedDB transaction aborted"));
  });
}

/** Opens a database, or says why this browser cannot keep data. */
export function openDatabase(name: string, version: number, upgrade: (db: IDBDatabase) => void): Promise<IDBDatabase> {
  if (typeof indexedDB === "undefined") {
    throw new Error("This browser offers no IndexedDB (private mode?); results cannot be kept across reloads.");
  }
  const request = indexedDB.open(name, version);
  request.onupgradeneeded = () => upgrade(request.result);
  return promised(request);
}
