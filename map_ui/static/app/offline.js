// The phone's offline store: one downloaded round and the visits recorded without a signal, in IndexedDB,
// every record sealed with AES-GCM under a key derived (PBKDF2-SHA-256, a random per-device salt) from the
// person's password at sign-in. The key lives only in this module's memory; after an offline reload the person
// unlocks with the password. Drafts carry their own Idempotency-Key and the household version they were based on,
// and sync one by one: a visit is never lost (refusals and conflicts stay until the person decides) and never
// saved twice (a resend with the same key answers with the first visit).

import { api, isSignedIn } from './api.js';

const DB_NAME = 'happymap-offline';
const DB_VERSION = 1;
const ITERATIONS = 200000;
export const SESSION_LIMIT_MS = 12 * 60 * 60 * 1000; // the server's absolute session limit
const CHECK_TEXT = '행복-맵 오프라인';
export const OUT_OF_AREA = '담당 구역 밖으로 옮겨졌거나 삭제된 가구입니다.';

let db = null;
let key = null; // CryptoKey (not extractable), only in memory
let sessionStart = null; // when this sign-in happened: the download's 12 h run from it
let owner = null; // {username, salt} of the signed-in person, written with the first download
let syncing = null;

/** 'change' after drafts or rounds change; 'synced' (detail: {draft, answer}) after a draft was saved. */
export const offlineEvents = new EventTarget();

function emit(name, detail = null) {
  offlineEvents.dispatchEvent(new CustomEvent(name, { detail }));
}

// Only a write (with the key) may create the database: a read racing a wipe must not bring an empty one back.
function openDb(create = false) {
  if (db) return Promise.resolve(db);
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = (event) => {
      if (!create && event.oldVersion === 0) {
        request.transaction.abort(); // nothing stored: the new, empty database is dropped again
        return;
      }
      const d = request.result;
      d.createObjectStore('meta');
      d.createObjectStore('rounds', { keyPath: 'id' });
      d.createObjectStore('drafts', { keyPath: 'id' });
    };
    request.onsuccess = () => {
      db = request.result;
      db.onversionchange = () => { db.close(); db = null; };
      resolve(db);
    };
    request.onerror = (event) => {
      if (request.error && request.error.name === 'AbortError') {
        event.preventDefault();
        resolve(null);
      } else {
        reject(request.error);
      }
    };
  });
}

async function run(store, mode, work, empty = undefined) {
  const writing = mode === 'readwrite';
  if (writing && !key) throw new Error('오프라인 저장소가 잠겨 있습니다. 비밀번호로 잠금을 해제하세요.');
  const d = await openDb(writing);
  if (!d) return empty; // nothing stored (or wiped meanwhile)
  return new Promise((resolve, reject) => {
    const t = d.transaction(store, mode);
    const request = work(t.objectStore(store));
    t.oncomplete = () => resolve(request ? request.result : undefined);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error);
  });
}

const getItem = (store, k) => run(store, 'readonly', (s) => s.get(k));
const allItems = (store) => run(store, 'readonly', (s) => s.getAll(), []);
const putItem = (store, value, k) => run(store, 'readwrite', (s) => (k === undefined ? s.put(value) : s.put(value, k)));
const deleteItem = (store, k) => run(store, 'readwrite', (s) => s.delete(k));

async function hasData() {
  try {
    const dbs = await indexedDB.databases();
    return dbs.some((d) => d.name === DB_NAME);
  } catch {
    return true;
  }
}

async function deriveKey(password, salt) {
  const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(password), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey({ name: 'PBKDF2', salt, iterations: ITERATIONS, hash: 'SHA-256' }, material,
    { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

async function seal(value, withKey = key) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, withKey, new TextEncoder().encode(JSON.stringify(value)));
  return { iv, data };
}

async function unseal(record, withKey = key) {
  const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: record.iv }, withKey, record.data);
  return JSON.parse(new TextDecoder().decode(plain));
}

async function checks(meta, candidate) {
  if (!meta || !meta.check) return true;
  try {
    return (await unseal(meta.check, candidate)) === CHECK_TEXT;
  } catch {
    return false;
  }
}

/** What is on this device: {stored, username, expiresAt, expired}; nothing is decrypted. */
export async function offlineState() {
  if (!(await hasData())) return { stored: false, username: null, expiresAt: null, expired: false };
  const meta = await getItem('meta', 'info');
  const expiresAt = meta && meta.expires_at ? meta.expires_at : null;
  return {
    stored: Boolean(meta && meta.check), username: meta ? meta.username : null, expiresAt,
    expired: expiresAt !== null && Date.now() > expiresAt,
  };
}

/** Wipe the store if its 12 h are over (checked on every start); true when it was wiped. */
export async function wipeIfExpired() {
  const s = await offlineState();
  if (s.expired) await wipeOffline();
  return s.expired;
}

export function isUnlocked() {
  return key !== null;
}

/**
 * At an online sign-in: derive this person's key. Another person's store on this phone is wiped first. False
 * when the stored data was sealed under another password (changed since): it stays locked, nothing is wiped.
 */
export async function unlockAtSignIn(username, password) {
  let meta = (await hasData()) ? await getItem('meta', 'info') : null;
  if (meta && meta.username !== username) {
    // Another person's store: their round goes, but their unsent visits stay until they sign in (never lost).
    if ((await draftCount()) > 0) {
      key = null;
      owner = null;
      return false;
    }
    await wipeOffline();
    meta = null;
  }
  sessionStart = Date.now();
  // Nothing is written until a round is downloaded: the salt waits in memory.
  const salt = meta ? meta.salt : crypto.getRandomValues(new Uint8Array(16));
  const candidate = await deriveKey(password, salt);
  if (!(await checks(meta, candidate))) return false;
  key = candidate;
  owner = { username, salt };
  return true;
}

/** After an offline reload: the password opens the store, or a Korean error (nothing is wiped). */
export async function unlockOffline(password) {
  const meta = await getItem('meta', 'info');
  if (!meta || !meta.check) throw new Error('이 기기에 받아 둔 순회가 없습니다.');
  const candidate = await deriveKey(password, meta.salt);
  if (!(await checks(meta, candidate))) {
    throw new Error('비밀번호가 맞지 않습니다. 저장된 순회와 기록은 지워지지 않았습니다.');
  }
  key = candidate;
  owner = { username: meta.username, salt: meta.salt };
  return meta.username;
}

/** Forget the key (the data stays sealed on the device). */
export function lockOffline() {
  key = null;
  owner = null;
  sessionStart = null;
}

/** Wipe everything offline: IndexedDB, Cache Storage and the service worker. */
export async function wipeOffline() {
  key = null;
  owner = null;
  sessionStart = null;
  if (db) { db.close(); db = null; }
  await new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(DB_NAME);
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
  });
  if (window.caches) for (const name of await caches.keys()) await caches.delete(name);
  if (navigator.serviceWorker) {
    for (const registration of await navigator.serviceWorker.getRegistrations()) await registration.unregister();
  }
  emit('change');
}

function requireKey() {
  if (!key) throw new Error('오프라인 저장소가 잠겨 있습니다. 비밀번호로 잠금을 해제하세요.');
}

/** Keep a downloaded round (as the server masked it); the store then expires 12 h after this sign-in. */
export async function saveRound(round) {
  requireKey();
  await ensureMeta(true);
  await putItem('rounds', { id: round.tract.id, ...(await seal(round)) });
  emit('change');
}

/** The salt, the password check and the 12 h limit go in with the first thing stored (a download renews the
 * limit to this sign-in's). */
async function ensureMeta(renew = false) {
  const meta = await getItem('meta', 'info');
  if (meta && meta.check && !(renew && sessionStart)) return;
  const start = sessionStart || Date.now();
  await putItem('meta', {
    username: owner.username, salt: owner.salt, check: await seal(CHECK_TEXT),
    expires_at: meta && meta.expires_at && !renew ? meta.expires_at : start + SESSION_LIMIT_MS,
  }, 'info');
}

export async function storedRounds() {
  if (!key || !(await hasData())) return [];
  const out = [];
  for (const record of await allItems('rounds')) out.push(await unseal(record));
  return out;
}

export async function storedRound(tractId) {
  if (!key || !(await hasData())) return null;
  const record = await getItem('rounds', tractId);
  return record ? unseal(record) : null;
}

async function patchRoundHousehold(tractId, householdId, patch) {
  const round = await storedRound(tractId);
  if (!round) return;
  const hh = round.households.find((x) => x.id === householdId);
  if (!hh) return;
  Object.assign(hh, patch);
  await putItem('rounds', { id: tractId, ...(await seal(round)) });
}

/** Queue a visit: its own Idempotency-Key and the household version it was based on. */
export async function addDraft(household, tractId, body) {
  requireKey();
  const draft = {
    id: crypto.randomUUID(), key: crypto.randomUUID(), household_id: household.id, tract_id: tractId,
    household_version: household.version, label: household.address || `가구 #${household.id}`,
    body, created_at: Date.now(), status: 'pending', message: null, conflict: null,
  };
  await putDraft(draft);
  return draft;
}

async function putDraft(draft) {
  await ensureMeta();
  await putItem('drafts', { id: draft.id, ...(await seal(draft)) });
  emit('change');
}

/** The queued visits, oldest first (empty while locked). */
export async function drafts() {
  if (!key || !(await hasData())) return [];
  const out = [];
  for (const record of await allItems('drafts')) {
    try { out.push(await unseal(record)); } catch { /* sealed under another key: left as it is */ }
  }
  return out.sort((a, b) => a.created_at - b.created_at);
}

/** How many drafts wait (readable without the key: the records are counted, not opened). */
export async function draftCount() {
  if (!(await hasData())) return 0;
  return (await allItems('drafts')).length;
}

/** 그래도 저장: resend on the version the server showed, as the person decided. */
export async function keepAnyway(draftId) {
  const draft = (await drafts()).find((d) => d.id === draftId);
  if (!draft) return;
  draft.household_version = draft.conflict && draft.conflict.household ? draft.conflict.household.version : null;
  Object.assign(draft, { status: 'pending', message: null, conflict: null });
  await putDraft(draft);
}

/** Send a refused draft again (e.g. after the household was reopened). */
export async function retryDraft(draftId) {
  const draft = (await drafts()).find((d) => d.id === draftId);
  if (!draft) return;
  Object.assign(draft, { status: 'pending', message: null });
  await putDraft(draft);
}

/** 버리기: the person drops the draft. */
export async function discardDraft(draftId) {
  await deleteItem('drafts', draftId);
  emit('change');
}

/** Send the waiting drafts one by one (one run at a time); resolves to {sent, stopped}. */
export function syncDrafts() {
  if (!syncing) {
    syncing = runSync().catch((error) => ({ sent: 0, stopped: true, error })) // e.g. wiped in the middle
      .finally(() => { syncing = null; });
  }
  return syncing;
}

async function runSync() {
  let sent = 0;
  if (!key || !isSignedIn() || !navigator.onLine) return { sent, stopped: true };
  const queue = await drafts(); // opened once; versions are moved in memory and written back
  for (const draft of queue) {
    if (draft.status !== 'pending') continue;
    if (!(await getItem('drafts', draft.id))) continue; // discarded meanwhile
    const body = { ...draft.body };
    if (draft.household_version !== null && draft.household_version !== undefined) body.household_version = draft.household_version;
    let answer;
    try {
      answer = await api.post(`/households/${draft.household_id}/visits`, body, { 'Idempotency-Key': draft.key });
    } catch (err) {
      if (err.status === 409 && err.body && err.body.household) {
        Object.assign(draft, { status: 'conflict', message: err.message, conflict: { household: err.body.household, latest_visit: err.body.latest_visit || null } });
        await putDraft(draft);
        continue;
      }
      if (err.status === 404 || err.status === 409 || err.status === 422) {
        Object.assign(draft, { status: 'refused', message: err.status === 404 ? OUT_OF_AREA : err.message });
        await putDraft(draft);
        continue;
      }
      // 401 (sign in again; a disabled account is wiped by the expiry handler), no signal, 5xx: kept, stop here.
      return { sent, stopped: true, error: err };
    }
    await deleteItem('drafts', draft.id);
    draft.status = 'sent';
    sent += 1;
    const version = answer.household.version;
    for (const other of queue) {
      if (other.household_id === draft.household_id && other.status !== 'sent') {
        other.household_version = version;
        if (await getItem('drafts', other.id)) await putDraft(other);
      }
    }
    await patchRoundHousehold(draft.tract_id, draft.household_id, {
      version, last_visit_at: answer.household.last_visit_at, risk_level: answer.household.risk_level,
      color: answer.household.color, overdue: answer.household.overdue, next_visit_due: answer.household.next_visit_due,
    });
    emit('synced', { draft, answer });
    emit('change');
  }
  return { sent, stopped: false };
}
