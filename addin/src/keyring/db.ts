// A minimal promise wrapper over IndexedDB: one database, named object stores, get/put/delete/all.
// Holds only what store.ts gives it; nothing here knows what a key or certificate is.

export const DB_NAME = 'cachet';
const VERSION = 1;
/** Object stores and their key paths. */
export const STORES = { identities: 'id', contacts: 'address', anchors: 'sha256', settings: 'key' } as const;
export type StoreName = keyof typeof STORES;

let opening: Promise<IDBDatabase> | null = null;

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

export function openDb(): Promise<IDBDatabase> {
  opening ??= new Promise((resolve, reject) => {
    const r = indexedDB.open(DB_NAME, VERSION);
    r.onupgradeneeded = () => {
      for (const [name, keyPath] of Object.entries(STORES)) {
        if (!r.result.objectStoreNames.contains(name)) r.result.createObjectStore(name, { keyPath });
      }
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => {
      opening = null;
      reject(r.error ?? new Error('IndexedDB could not be opened'));
    };
  });
  return opening;
}

async function tx<T>(store: StoreName, mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb();
  return request(fn(db.transaction(store, mode).objectStore(store)));
}

export const db = {
  get<T>(store: StoreName, key: string): Promise<T | undefined> {
    return tx(store, 'readonly', (s) => s.get(key) as IDBRequest<T | undefined>);
  },
  all<T>(store: StoreName): Promise<T[]> {
    return tx(store, 'readonly', (s) => s.getAll() as IDBRequest<T[]>);
  },
  async put<T>(store: StoreName, value: T): Promise<void> {
    await tx(store, 'readwrite', (s) => s.put(value));
  },
  async delete(store: StoreName, key: string): Promise<void> {
    await tx(store, 'readwrite', (s) => s.delete(key));
  },
};
