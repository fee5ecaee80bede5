// fixnet web, worker side: what the page keeps in IndexedDB, so it survives
// a reload: the last trained, tuned or loaded model (one record: the model
// file's bytes and a few words about where it came from), and the digits
// the visitor taught it (one record each: the model's 28x28 view of the
// drawing as bytes, and its label).
const DB_NAME = 'fixnet';
const MODELS = 'models';
const EXAMPLES = 'examples';
const KEY = 'last';

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 2);
    request.onupgradeneeded = ({ oldVersion }) => {
      if (oldVersion < 1) request.result.createObjectStore(MODELS);
      if (oldVersion < 2) request.result.createObjectStore(EXAMPLES, { autoIncrement: true });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

// Runs `body(store)` on store `name` in a transaction; resolves to the value
// of the request it returns once the transaction has committed.
async function withStore(name, mode, body) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const transaction = db.transaction(name, mode);
      const request = body(transaction.objectStore(name));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error ?? new Error('the browser refused to store it'));
    });
  } finally {
    db.close();
  }
}

// Stores { bytes: Uint8Array, kind, origin, name, savedAt }.
export function storeModel(record) {
  return withStore(MODELS, 'readwrite', (store) => store.put(record, KEY));
}

// The stored record, or undefined.
export function storedModel() {
  return withStore(MODELS, 'readonly', (store) => store.get(KEY));
}

// Adds { pixels: Uint8Array(784), label } to the taught examples; resolves to its key.
export function storeExample({ pixels, label }) {
  return withStore(EXAMPLES, 'readwrite', (store) => store.add({ pixels, label }));
}

// Every taught example, oldest first, with its key: [{ key, pixels, label }].
export async function storedExamples() {
  const keys = await withStore(EXAMPLES, 'readonly', (store) => store.getAllKeys());
  const values = await withStore(EXAMPLES, 'readonly', (store) => store.getAll());
  return values.map((value, i) => ({ ...value, key: keys[i] }));
}

// Forgets the taught example of `key`.
export function removeExample(key) {
  return withStore(EXAMPLES, 'readwrite', (store) => store.delete(key));
}

// Forgets every taught example.
export function clearExamples() {
  return withStore(EXAMPLES, 'readwrite', (store) => store.clear());
}
