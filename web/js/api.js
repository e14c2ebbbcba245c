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

function headersFor(accept, key) {
  const headers = { Accept: accept };
  if (key) headers.Authorization = `Bearer ${key}`;
  const purpose = purposeOf();
  if (purpose) headers['X-Purpose'] = headerText(purpose).slice(0, 300);
  return headers;
}

async function failure(r) {
  let json = null;
  try {
    json = await r.json();
  } catch {
    json = null;
  }
  const e = json && json.error ? json.error : { code: `HTTP${r.status}`, message: r.statusText };
  return new ApiError(r.status, e.code, e.message);
}

// Sends one request; JSON in and out. Throws ApiError with the server's code and message.
export async function api(method, path, body, opts = {}) {
  const headers = headersFor('application/json', opts.key ?? savedKey());
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let r;
  try {
    r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, 'ENETWORK', e.message);
  }
  if (!r.ok) throw await failure(r);
  try {
    return await r.json();
  } catch {
    return null;
  }
}

const EVENT_MAX = 1 << 20; // one event larger than this is not the server's: the stream is dropped

function parseEvent(block) {
  const ev = { type: 'message', data: [], id: null };
  for (const line of block.split('\n')) {
    if (!line || line.startsWith(':')) continue; // comments are the server's keep-alives
    const i = line.indexOf(':');
    const name = i < 0 ? line : line.slice(0, i);
    const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
    if (name === 'event') ev.type = value;
    else if (name === 'data') ev.data.push(value);
    else if (name === 'id') ev.id = value;
  }
  return ev;
}

// A Server-Sent Events stream read with fetch (EventSource cannot send the key or the
// purpose). Calls onOpen once the server has accepted it, then onEvent(type, data, id) per
// event; returns when the server ends the stream, throws ApiError when it fails or refuses.
export async function events(path, { onOpen, onEvent, signal }) {
  let r;
  try {
    r = await fetch(path, { headers: headersFor('text/event-stream', savedKey()), signal, cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, 'ENETWORK', e.message);
  }
  if (!r.ok) throw await failure(r);
  if (onOpen) onOpen();
  const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += value.replace(/\r\n?/g, '\n');
      for (let cut = buf.indexOf('\n\n'); cut >= 0; cut = buf.indexOf('\n\n')) {
        const ev = parseEvent(buf.slice(0, cut));
        buf = buf.slice(cut + 2);
        if (ev.data.length) onEvent(ev.type, ev.data.join('\n'), ev.id);
      }
      if (buf.length > EVENT_MAX) throw new ApiError(0, 'ENETWORK', 'an event on the stream is too large');
    }
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw new ApiError(0, 'ENETWORK', e.message);
  } finally {
    reader.cancel().catch(() => {});
  }
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
