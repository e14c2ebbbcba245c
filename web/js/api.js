// Calls to the eyni HTTP API with the operator's key and the purpose of access.
import { t, tMaybe } from './i18n.js';

const KEY = 'eyni.key';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function savedKey() {
  return sessionStorage.getItem(KEY);
}

export function saveKey(key) {
  if (key) sessionStorage.setItem(KEY, key);
  else sessionStorage.removeItem(KEY);
}

// Header values must be Latin-1: a reference typed in Azerbaijani travels percent-encoded.
function headerText(s) {
  return /^[\x20-\x7e]*$/.test(s) ? s : encodeURIComponent(s);
}

let purposeOf = () => '';
export function setPurposeSource(fn) {
  purposeOf = fn;
}

// Sends one request; JSON in and out. Throws ApiError with the server's code and message.
export async function api(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json' };
  const key = opts.key ?? savedKey();
  if (key) headers.Authorization = `Bearer ${key}`;
  const purpose = purposeOf();
  if (purpose) headers['X-Purpose'] = headerText(purpose).slice(0, 300);
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let r;
  try {
    r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, 'ENETWORK', e.message);
  }
  let json = null;
  try {
    json = await r.json();
  } catch {
    json = null;
  }
  if (!r.ok) {
    const e = json && json.error ? json.error : { code: `HTTP${r.status}`, message: r.statusText };
    throw new ApiError(r.status, e.code, e.message);
  }
  return json;
}

export function query(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

// What went wrong, in plain words first and the server's own sentence after it.
export function plainError(e) {
  if (!(e instanceof ApiError)) return { title: t('err.unexpected'), detail: String(e && e.message ? e.message : e) };
  const title = tMaybe(`err.${e.code}`) ?? tMaybe(`err.http${e.status}`) ?? t('err.unexpected');
  return { title, detail: e.code === 'ENETWORK' ? '' : e.message };
}

export async function fileBase64(file) {
  const buf = new Uint8Array(await file.arrayBuffer());
  let s = '';
  for (let i = 0; i < buf.length; i += 0x8000) s += String.fromCharCode.apply(null, buf.subarray(i, i + 0x8000));
  return btoa(s);
}
