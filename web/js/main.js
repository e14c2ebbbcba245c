// The console shell: sign-in, the menu of what the key's role may do, and the screens.
import { api, saveKey, savedKey, setPurposeSource, plainError } from './api.js';
import { setLanguage, preferredLanguage, t } from './i18n.js';
import { h, field, errorBox, run, announce } from './ui.js';
import * as desk from './screens/desk.js';
import * as adjudication from './screens/adjudication.js';
import * as documents from './screens/documents.js';
import * as border from './screens/border.js';
import * as fieldcheck from './screens/field.js';
import * as watch from './screens/watch.js';
import * as video from './screens/video.js';
import * as audit from './screens/audit.js';

const SCREENS = [
  { id: 'desk', key: 'menu.desk', needs: ['enrol', 'person.create'], purpose: 'registration desk', mod: desk },
  { id: 'adjudication', key: 'menu.adjudication', needs: ['case.read'], purpose: 'adjudication', mod: adjudication },
  { id: 'documents', key: 'menu.documents', needs: ['document.issue', 'document.status', 'blank.manage', 'blank.read'], purpose: 'documents', mod: documents },
  { id: 'border', key: 'menu.border', needs: ['border.check', 'visa.manage', 'crossing.read'], purpose: 'border check', mod: border },
  { id: 'field', key: 'menu.field', needs: ['border.check'], purpose: 'field check', mod: fieldcheck },
  { id: 'watch', key: 'menu.watch', needs: ['watch.read', 'ban.manage', 'ban.read'], purpose: 'watchlists and bans', mod: watch },
  { id: 'video', key: 'menu.video', needs: ['watch.manage'], purpose: 'video desk', mod: video },
  { id: 'audit', key: 'menu.audit', needs: ['audit.read'], purpose: 'audit review', mod: audit },
];

// leave: what the shown screen asked to be done when it goes (a stream to close, a timer)
const state = { me: null, screen: null, leave: null };

function allowed() {
  const acts = new Set(state.me ? state.me.actions : []);
  return SCREENS.filter((s) => s.needs.some((a) => acts.has(a)));
}

function purpose() {
  if (!state.screen) return '';
  const ref = document.getElementById('purpose-ref').value.trim();
  return ref ? `console ${state.screen.purpose}; ref ${ref}` : `console ${state.screen.purpose}`;
}

function renderMenu() {
  const menu = document.getElementById('menu');
  const list = h('ul', {}, allowed().map((s) => h('li', {},
    h('a', { href: `#/${s.id}`, 'aria-current': state.screen && state.screen.id === s.id ? 'page' : null, 'data-i18n': s.key }, t(s.key)))));
  menu.replaceChildren(list);
  menu.hidden = false;
  const who = document.getElementById('who');
  who.replaceChildren(h('span', {}, t('app.signed_in_as', { role: t(`role.${state.me.role}`), agency: state.me.agency })));
  who.hidden = false;
  document.getElementById('signout').hidden = false;
  document.getElementById('purposebar').hidden = false;
}

function signInScreen(main) {
  const key = field('key', 'signin.key', { attrs: { type: 'password', required: true, autocomplete: 'off', spellcheck: 'false' } });
  const button = h('button', { type: 'submit' }, t('signin.submit'));
  const form = h('form', { class: 'card narrow', 'aria-labelledby': 'signin-h' },
    h('h2', { id: 'signin-h' }, t('signin.title')),
    h('p', {}, t('signin.help')),
    key, errorBox(), button);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const token = key.input.value.trim();
    const me = await run(form, button, () => api('GET', '/v1/whoami', undefined, { key: token }));
    if (!me) return;
    saveKey(token);
    state.me = me;
    const first = allowed()[0];
    location.hash = first ? `#/${first.id}` : '#/none';
    route();
  });
  main.replaceChildren(form);
  key.input.focus();
}

async function route() {
  const main = document.getElementById('main');
  if (state.leave) {
    state.leave();
    state.leave = null;
  }
  if (!state.me) {
    for (const id of ['menu', 'who', 'signout', 'purposebar']) document.getElementById(id).hidden = true;
    signInScreen(main);
    return;
  }
  const want = location.hash.replace(/^#\//, '');
  const screens = allowed();
  const screen = screens.find((s) => s.id === want) || screens[0];
  state.screen = screen || null;
  renderMenu();
  if (!screen) {
    main.replaceChildren(h('section', { class: 'card' }, h('h2', {}, t('app.nothing_title')), h('p', {}, t('app.nothing'))));
    return;
  }
  document.title = `${t(screen.key)} · eyni`;
  main.replaceChildren(h('h2', { class: 'screen-title' }, t(screen.key)));
  const leave = await screen.mod.render(main, { me: state.me });
  if (typeof leave === 'function') state.leave = leave;
  main.focus();
  announce(t(screen.key));
}

async function start() {
  setPurposeSource(purpose);
  await setLanguage(preferredLanguage());
  const lang = document.getElementById('lang');
  lang.value = preferredLanguage();
  lang.addEventListener('change', async () => {
    await setLanguage(lang.value);
    route();
  });
  document.getElementById('signout').addEventListener('click', () => {
    saveKey(null);
    state.me = null;
    location.hash = '';
    route();
  });
  window.addEventListener('hashchange', route);
  if (savedKey()) {
    try {
      state.me = await api('GET', '/v1/whoami');
    } catch (e) {
      saveKey(null);
      announce(plainError(e).title);
    }
  }
  route();
}

start();
