// fixnet web, worker side: the last trained or loaded model, kept in
// IndexedDB so it survives a reload. One record: the model file's bytes and
// a few words about where it came from.
const DB_NAME = 'fixnet';
const STORE = 'models';
const KEY = 'last';

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

// Runs `body(store)` in a transaction; resolves to the value of the request it returns.
async function withStore(mode, body) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const request = body(db.transaction(STORE, mode).objectStore(STORE));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  } finally {
    db.close();
  }
}

// Stores { bytes: Uint8Array, kind, origin, testAccuracy, savedAt }.
export function storeModel(record) {
  return withStore('readwrite', (store) => store.put(record, KEY));
}

// The stored record, or undefined.
export function storedModel() {
  return withStore('readonly', (store) => store.get(KEY));
}
