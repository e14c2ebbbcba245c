// Messages in web/i18n/<lang>.json; the operator's language is a client-side preference.
const LANGS = ['az', 'en'];
let messages = {};
let fallback = {};
let current = 'az';

async function load(lang) {
  const r = await fetch(`/i18n/${lang}.json`, { cache: 'no-cache' });
  if (!r.ok) throw new Error(`messages for ${lang} are missing`);
  return r.json();
}

export async function setLanguage(lang) {
  if (!LANGS.includes(lang)) lang = 'az';
  if (!Object.keys(fallback).length) fallback = await load('en');
  messages = lang === 'en' ? fallback : await load(lang);
  current = lang;
  localStorage.setItem('eyni.lang', lang);
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
}

export function language() {
  return current;
}

export function preferredLanguage() {
  return localStorage.getItem('eyni.lang') || 'az';
}

// t('desk.title'), t('list.page', {n: 2}); a missing key shows itself so it gets noticed.
export function t(key, vars = {}) {
  const s = messages[key] ?? fallback[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (vars[k] ?? ''));
}

// A key when the catalogue has it, else null (for codes that come from the server).
export function tMaybe(key) {
  return messages[key] ?? fallback[key] ?? null;
}
