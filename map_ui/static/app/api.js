// The /api/v1 client. The bearer token lives only in this module's memory (never in storage or the URL).

let token = null;
let onExpired = () => {};
let onOutage = () => {};

// A read the server refused with 503 (database restarting, pool full) is tried again this many times,
// after the Retry-After it names; writes are never repeated on their own (the user decides).
const OUTAGE_RETRIES = 8;

export class ApiError extends Error {
  constructor(status, message, retryAfter = 0, body = null) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
    this.body = body; // the server's JSON answer (e.g. a 409's household and latest_visit)
    this.code = body && typeof body.code === 'string' ? body.code : null; // e.g. 'account_disabled'
  }

  /** True when the endpoint does not exist (yet): 404 on the path itself or 405. */
  get missing() {
    return this.status === 404 || this.status === 405 || this.status === 501;
  }
}

const FALLBACK = {
  0: '서버에 연결할 수 없습니다. 네트워크를 확인하세요.',
  400: '요청이 올바르지 않습니다.',
  401: '세션이 만료되었습니다. 다시 로그인하세요.',
  403: '권한이 없습니다.',
  404: '찾을 수 없습니다.',
  405: '아직 지원하지 않는 기능입니다.',
  409: '다른 사용자가 먼저 수정했습니다. 새로고침 후 다시 시도하세요.',
  413: '요청이 너무 큽니다.',
  422: '입력값이 올바르지 않습니다.',
  429: '요청이 너무 많습니다. 잠시 후 다시 시도하세요.',
};

/** Register what happens when the server says the session is gone (401); it gets the ApiError. */
export function setExpiredHandler(fn) {
  onExpired = fn;
}

/** Register what shows (true) and hides (false) the notice that the database is briefly unreachable. */
export function setOutageHandler(fn) {
  onOutage = fn;
}

function pause(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(timer); reject(new DOMException('aborted', 'AbortError')); });
  });
}

export function isSignedIn() {
  return token !== null;
}

function messageOf(status, body) {
  const detail = body && body.detail;
  if (typeof detail === 'string' && detail) return detail;
  if (Array.isArray(detail) && detail.length && detail[0].msg) return detail.map((d) => d.msg).join('; ');
  return FALLBACK[status] || (status >= 500 ? '서버 오류가 발생했습니다. 잠시 후 다시 시도하세요.' : `요청 실패 (${status})`);
}

function query(params) {
  const usp = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length)) continue;
    usp.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  const s = usp.toString();
  return s ? `?${s}` : '';
}

async function request(method, path, options = {}) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      const data = await send(method, path, options);
      onOutage(false);
      return data;
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 503 || !err.retryAfter) throw err;
      onOutage(true);
      if (method !== 'GET' || attempt >= OUTAGE_RETRIES) throw err;
      await pause(Math.min(err.retryAfter, 30) * 1000, options.signal);
    }
  }
}

async function send(method, path, { params, body, form, multipart, signal, quiet401 = false, binary = false, file = false, extraHeaders = {} } = {}) {
  const headers = { ...extraHeaders, Accept: binary ? 'application/vnd.mapbox-vector-tile' : 'application/json, application/geo+json' };
  const sentWith = token;
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload;
  if (form) {
    payload = new URLSearchParams(form);
  } else if (multipart) {
    payload = multipart; // FormData: the browser writes the multipart boundary itself
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let response;
  try {
    // Map tiles may come from the browser's cache (the server allows 30 s, private); nothing else may.
    response = await fetch(`/api/v1${path}${query(params)}`, {
      method, headers, body: payload, signal, cache: binary ? 'default' : 'no-store',
    });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, FALLBACK[0]);
  }
  if (binary && response.ok) return response.arrayBuffer();
  if (file && response.ok) return { blob: await response.blob(), name: fileNameOf(response.headers.get('Content-Disposition')) };
  let data = null;
  if (response.status !== 204) {
    const text = await response.text();
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  }
  if (!response.ok) {
    const error = new ApiError(response.status, messageOf(response.status, data),
      Number(response.headers.get('Retry-After')) || 0, data);
    if (response.status === 401 && sentWith !== null && sentWith === token) {
      token = null;
      if (!quiet401) onExpired(error);
    }
    throw error;
  }
  return data;
}

export const api = {
  get: (path, params, signal) => request('GET', path, { params, signal }),
  post: (path, body, headers = {}) => request('POST', path, { body, extraHeaders: headers }),
  patch: (path, body) => request('PATCH', path, { body }),
  delete: (path) => request('DELETE', path),
  upload: (path, formData) => request('POST', path, { multipart: formData }),
  image: (path) => fetchImage(path),
  tile: (path, params, signal) => request('GET', path, { params, signal, binary: true }),
  file: (path, params) => request('GET', path, { params, file: true }),
};

/** The name a download should be saved under: the UTF-8 `filename*` of Content-Disposition, else `filename`. */
function fileNameOf(disposition) {
  const text = disposition || '';
  const utf8 = /filename\*=UTF-8''([^;]+)/i.exec(text);
  if (utf8) {
    try { return decodeURIComponent(utf8[1].trim()); } catch { /* fall through to the plain name */ }
  }
  const plain = /filename="?([^";]+)"?/i.exec(text);
  return plain ? plain[1] : 'download';
}

/** Hand a fetched file to the browser as a download under its name (the bearer token never goes in a URL). */
export function saveFile({ blob, name }) {
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement('a'), { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * An image from the API (it needs the bearer header, which <img src> cannot send) as a data: URL.
 * Not a blob: URL, because the page's Content-Security-Policy allows images only from 'self' and data:.
 */
async function fetchImage(path) {
  const sentWith = token;
  let response;
  try {
    response = await fetch(`/api/v1${path}`, { headers: token ? { Authorization: `Bearer ${token}` } : {}, cache: 'no-store' });
  } catch {
    throw new ApiError(0, FALLBACK[0]);
  }
  if (!response.ok) {
    let data = null;
    try { data = await response.json(); } catch { data = null; }
    if (response.status === 401 && sentWith !== null && sentWith === token) {
      token = null;
      onExpired(new ApiError(401, messageOf(401, data), 0, data));
    }
    throw new ApiError(response.status, messageOf(response.status, data));
  }
  const blob = await response.blob();
  if (!/^image\/(jpeg|png|gif|webp|heic)$/.test(blob.type)) throw new ApiError(415, '이미지가 아닌 파일입니다.');
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(new ApiError(0, '사진을 읽지 못했습니다.'));
    reader.readAsDataURL(blob);
  });
}

/** Sign in with the OAuth2 password form; the token stays in memory. */
export async function login(username, password) {
  token = null;
  const data = await request('POST', '/auth/token', { form: { username, password } });
  token = data.access_token;
  return data;
}

/** Revoke the token on the server (best effort) and forget it. */
export async function logout() {
  if (!token) return;
  try {
    await request('POST', '/auth/logout', { quiet401: true });
  } finally {
    token = null;
  }
}

export { query as queryString };
