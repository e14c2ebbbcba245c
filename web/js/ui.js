// Small DOM helpers shared by the screens: elements, labelled fields, errors, tables, pages.
import { t, tMaybe } from './i18n.js';
import { plainError } from './api.js';

let uid = 0;

// h('p', {class: 'x', onclick: fn}, 'text', child...)
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'i18n') {
      el.dataset.i18n = v;
      el.textContent = t(v);
    } else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

// A labelled input (or select/textarea) with its own error line under it.
export function field(name, labelKey, opts = {}) {
  const id = `f-${name}-${++uid}`;
  const tag = opts.tag || 'input';
  const attrs = { id, name, 'aria-describedby': `${id}-err`, ...(opts.attrs || {}) };
  if (tag === 'input' && !attrs.type) attrs.type = 'text';
  const input = h(tag, attrs);
  // options: [value, message key] or [value, null, text shown as it is]
  for (const [value, key, text] of opts.options || []) input.append(h('option', { value }, key ? t(key) : text ?? value));
  if (opts.value !== undefined) input.value = opts.value;
  const wrap = h('div', { class: `field${opts.wide ? ' wide' : ''}` },
    h('label', { for: id }, t(labelKey), opts.attrs && opts.attrs.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
    input,
    h('p', { class: 'field-error', id: `${id}-err` }));
  wrap.input = input;
  return wrap;
}

export function values(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.type === 'file' || el.type === 'submit' || el.type === 'button') continue;
    const v = el.value.trim();
    if (v !== '') out[el.name] = v;
  }
  return out;
}

export function clearErrors(scope) {
  for (const el of scope.querySelectorAll('.field-error')) el.textContent = '';
  for (const el of scope.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  for (const el of scope.querySelectorAll('.form-error')) {
    el.replaceChildren();
    el.hidden = true;
  }
}

// The field a server message is about: it names it ("'birth_date' ...", "finger 2: ...").
function fieldFor(scope, message) {
  for (const el of scope.querySelectorAll('[name]')) {
    const n = el.getAttribute('name');
    if (!n || el.type === 'submit') continue;
    const words = [n, n.replace(/_/g, ' ')];
    if (n.startsWith('finger-')) words.push(`finger ${n.slice(7)}`);
    if (words.some((w) => message.startsWith(w) || message.includes(`'${w}'`) || message.startsWith(`${w}:`))) return el;
  }
  return null;
}

// Shows an error next to what caused it (a named field) and in the form's error box.
export function showError(scope, e) {
  const p = plainError(e);
  const box = scope.querySelector('.form-error');
  const target = p.detail ? fieldFor(scope, p.detail) : null;
  if (target) {
    target.setAttribute('aria-invalid', 'true');
    const line = document.getElementById(target.getAttribute('aria-describedby'));
    if (line) line.textContent = `${p.title} ${p.detail}`;
  }
  if (box) {
    box.replaceChildren(h('strong', {}, p.title), p.detail ? h('span', {}, ` ${p.detail}`) : '');
    box.hidden = false;
    if (!target) box.focus();
  }
  announce(p.title);
}

export function errorBox() {
  return h('div', { class: 'form-error', role: 'alert', tabindex: '-1', hidden: true });
}

export function announce(text) {
  const s = document.getElementById('status');
  if (s) s.textContent = text;
}

export function section(titleKey, ...children) {
  const id = `s-${++uid}`;
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, t(titleKey)), ...children);
}

// columns: [[labelKey, row => text or node]]
export function table(columns, rows, opts = {}) {
  if (!rows.length) return h('p', { class: 'empty' }, t(opts.empty || 'list.empty'));
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': opts.label || t('list.results') },
    h('table', {},
      h('thead', {}, h('tr', {}, columns.map(([k]) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', {}, rows.map((r) => h('tr', {}, columns.map(([, f]) => h('td', {}, f(r) ?? '')))))));
}

// Previous/next over a list the server pages with offset (or a cursor the screen keeps).
export function pager(page, hasNext, go) {
  return h('div', { class: 'pager' },
    h('button', { type: 'button', class: 'secondary', disabled: page === 0, onclick: () => go(page - 1) }, t('list.prev')),
    h('span', {}, t('list.page', { n: page + 1 })),
    h('button', { type: 'button', class: 'secondary', disabled: !hasNext, onclick: () => go(page + 1) }, t('list.next')));
}

// A list kept in the browser shown a page at a time.
export function pagedTable(columns, rows, size = 10, opts = {}) {
  const box = h('div', {});
  const show = (p) => {
    const slice = rows.slice(p * size, (p + 1) * size);
    box.replaceChildren(table(columns, slice, opts), rows.length > size ? pager(p, (p + 1) * size < rows.length, show) : '');
  };
  show(0);
  return box;
}

export function badge(value, kind) {
  return h('span', { class: `badge ${kind || value}` }, tMaybe(`value.${value}`) ?? value);
}

export function busy(button, on) {
  button.disabled = on;
  button.setAttribute('aria-busy', on ? 'true' : 'false');
}

// Runs an action for a form: clears old errors, shows new ones, keeps the button busy.
export async function run(scope, button, fn) {
  clearErrors(scope);
  if (button) busy(button, true);
  try {
    return await fn();
  } catch (e) {
    showError(scope, e);
    return undefined;
  } finally {
    if (button) busy(button, false);
  }
}

export function dl(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== '')
    .flatMap(([k, v]) => [h('dt', {}, t(k)), h('dd', {}, v)]));
}

// Any JSON answer as readable facts: objects become term lists, lists of objects tables.
export function jsonView(v) {
  if (v === null || v === undefined) return '–';
  if (Array.isArray(v)) {
    if (!v.length) return h('p', { class: 'empty' }, t('list.empty'));
    if (typeof v[0] !== 'object') return v.join(', ');
    const keys = [...new Set(v.flatMap((o) => Object.keys(o || {})))];
    return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': t('list.results') },
      h('table', {}, h('thead', {}, h('tr', {}, keys.map((k) => h('th', { scope: 'col' }, tMaybe(`key.${k}`) ?? k)))),
        h('tbody', {}, v.map((o) => h('tr', {}, keys.map((k) => h('td', {}, typeof o[k] === 'object' ? jsonView(o[k]) : String(o[k] ?? ''))))))));
  }
  if (typeof v === 'object') {
    return h('dl', { class: 'facts' }, Object.entries(v).flatMap(([k, x]) => [h('dt', {}, tMaybe(`key.${k}`) ?? k),
      h('dd', {}, typeof x === 'object' && x !== null ? jsonView(x) : String(x))]));
  }
  return String(v);
}
