// Watchlists and bans: lists with their legal basis, entries (add, edit, remove with a
// reason), and entry/exit bans (add, lift, check, and the list of every ban).
import { api, query } from '../api.js';
import { t } from '../i18n.js';
import { h, field, values, errorBox, run, section, table, pagedTable, pager, badge, jsonView } from '../ui.js';

const ENTRY_FIELDS = {
  person: [['surname', 'person.surname', true], ['given_name', 'person.given_name', true], ['variants', 'watch.variants'],
    ['birth_date', 'person.birth_date', false, 'date'], ['nationality', 'person.citizenship'], ['fin', 'person.fin']],
  vehicle: [['plate', 'border.plate', true], ['vin', 'watch.vin'], ['make', 'watch.make'], ['colour', 'watch.colour']],
  document: [['number', 'doc.number', true], ['issuing_state', 'border.issuing_state', true], ['doc_type', 'doc.type'], ['status', 'doc.status']],
};

function recordText(rec) {
  if (!rec || typeof rec !== 'object') return String(rec ?? '');
  return Object.entries(rec).filter(([k]) => k !== 'reason').map(([k, v]) => `${t(`key.${k}`) === `key.${k}` ? k : t(`key.${k}`)}: ${Array.isArray(v) ? v.join(', ') : v}`).join(' · ');
}

function entryForm(list, onDone, old) {
  const fields = (ENTRY_FIELDS[list.kind] || []).map(([name, key, req, type]) =>
    field(name, key, { attrs: { required: !!req, type: type || 'text' }, value: old && old.record ? (Array.isArray(old.record[name]) ? old.record[name].join(', ') : old.record[name] ?? '') : '' }));
  const reason = field('reason', old ? 'watch.edit_reason' : 'watch.reason', { attrs: { required: true }, wide: true });
  const button = h('button', { type: 'submit' }, t(old ? 'watch.save' : 'watch.add_entry'));
  const form = h('form', { class: 'grid' }, h('h3', { class: 'wide' }, t(old ? 'watch.edit_title' : 'watch.add_title', { id: old ? old.entry : '' })),
    ...fields, reason, errorBox(), h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = values(form);
    if (v.variants) v.variants = v.variants.split(',').map((s) => s.trim()).filter(Boolean);
    const ok = await run(form, button, async () => {
      // an edit is a new entry and the removal of the old one, both in the audit log
      await api('POST', `/v1/watchlists/${encodeURIComponent(list.code)}/entries`, v);
      if (old) await api('POST', `/v1/watchlists/${encodeURIComponent(list.code)}/entries/${old.entry}/remove`, { reason: `edited: ${v.reason}` });
      return true;
    });
    if (ok) onDone();
  });
  return form;
}

function removeForm(list, entry, onDone) {
  const reason = field('reason', 'watch.remove_reason', { attrs: { required: true } });
  const button = h('button', { type: 'submit', class: 'danger' }, t('watch.remove'));
  const form = h('form', { class: 'grid' }, h('h3', { class: 'wide' }, t('watch.remove_title', { id: entry.entry })), reason, errorBox(), h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const ok = await run(form, button, () => api('POST', `/v1/watchlists/${encodeURIComponent(list.code)}/entries/${entry.entry}/remove`, values(form)));
    if (ok) onDone();
  });
  return form;
}

async function showEntries(list, box, canManage) {
  const r = await api('GET', `/v1/watchlists/${encodeURIComponent(list.code)}/entries`);
  const editBox = h('div', {});
  const reload = () => showEntries(list, box, canManage);
  const columns = [['watch.entry', (e) => String(e.entry)], ['watch.record', (e) => recordText(e.record)], ['watch.reason', (e) => e.reason],
    ['watch.added', (e) => `${e.added_at || ''} ${e.added_by || ''}`]];
  if (canManage) columns.push(['list.actions', (e) => h('span', { class: 'row-actions' },
    h('button', { type: 'button', class: 'secondary', onclick: () => editBox.replaceChildren(entryForm(list, reload, e)) }, t('watch.edit')),
    h('button', { type: 'button', class: 'danger', onclick: () => editBox.replaceChildren(removeForm(list, e, reload)) }, t('watch.remove')))]);
  box.replaceChildren(h('h3', {}, t('watch.entries_of', { code: list.code, name: list.name })),
    h('p', {}, t('watch.legal_basis'), ': ', list.legal_basis, list.handling ? ` · ${t('watch.handling')}: ${list.handling}` : ''),
    pagedTable(columns, r.entries || [], 10, { empty: 'watch.no_entries' }), editBox,
    canManage ? entryForm(list, reload) : '');
}

function listsSection(acts, me) {
  const box = h('div', {});
  const entries = h('div', { 'aria-live': 'polite' });
  const wrap = h('div', {}, errorBox(), entries);
  const load = async () => {
    const r = await run(wrap, null, () => api('GET', '/v1/watchlists'));
    if (!r) return;
    box.replaceChildren(pagedTable([['watch.code', (l) => l.code], ['watch.name', (l) => l.name], ['watch.kind', (l) => t(`value.${l.kind}`)],
      ['watch.owner', (l) => l.owner], ['watch.legal_basis', (l) => l.legal_basis], ['watch.valid', (l) => `${l.valid_from} – ${l.valid_to || ''}`],
      ['watch.count', (l) => String(l.entries)],
      ['list.actions', (l) => h('button', { type: 'button', class: 'secondary', onclick: () => run(wrap, null, () => showEntries(l, entries, acts.has('watch.manage'))) }, t('watch.open'))]],
    r.lists || r.watchlists || [], 10, { empty: 'watch.no_lists' }));
  };
  const parts = [box, wrap];
  if (acts.has('watch.manage')) {
    const button = h('button', { type: 'submit' }, t('watch.create'));
    const form = h('form', { class: 'grid' }, h('h3', { class: 'wide' }, t('watch.create_title')),
      field('code', 'watch.code', { attrs: { required: true, pattern: '[A-Z0-9_-]{1,32}' } }), field('name', 'watch.name', { attrs: { required: true } }),
      field('kind', 'watch.kind', { tag: 'select', options: [['person', 'value.person'], ['vehicle', 'value.vehicle'], ['document', 'value.document']] }),
      field('legal_basis', 'watch.legal_basis', { attrs: { required: true }, wide: true }), field('handling', 'watch.handling'),
      field('valid_from', 'watch.valid_from', { attrs: { type: 'date', required: true } }), field('valid_to', 'watch.valid_to', { attrs: { type: 'date' } }),
      field('visible_to', 'watch.visible_to', { attrs: { required: true }, value: me.agency }), errorBox(), h('div', { class: 'actions' }, button));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const v = values(form);
      v.visible_to = v.visible_to ? v.visible_to.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
      if (await run(form, button, () => api('POST', '/v1/watchlists', v))) load();
    });
    parts.push(form);
  }
  load();
  return section('watch.lists', ...parts);
}

const BAN_PAGE = 20;

// Every ban, newest first, a page at a time from the server, by FIN and state.
function banList() {
  const button = h('button', { type: 'submit' }, t('list.show'));
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'grid ban-list', role: 'search' }, h('h3', { class: 'wide' }, t('ban.list_title')),
    field('fin', 'ban.filter_fin'),
    field('status', 'ban.status', { tag: 'select', options: [['active', 'ban.status_active'], ['all', 'ban.status_all'],
      ['expired', 'ban.status_expired'], ['lifted', 'ban.status_lifted']] }),
    errorBox(), h('div', { class: 'actions' }, button));
  const show = async (page) => {
    const v = values(form);
    const r = await run(form, button, () => api('GET', query('/v1/bans', { ...v, limit: BAN_PAGE, offset: page * BAN_PAGE })));
    if (!r) return;
    const rows = r.bans || [];
    out.replaceChildren(table([['ban.id', (b) => String(b.id)], ['person.surname', (b) => b.surname], ['person.given_name', (b) => b.given_name],
      ['person.birth_date', (b) => b.birth_date], ['person.fin', (b) => b.fin], ['ban.direction', (b) => badge(b.direction)],
      ['ban.starts', (b) => b.starts], ['ban.ends', (b) => b.ends], ['watch.legal_basis', (b) => b.legal_basis],
      ['ban.authority', (b) => b.authority], ['ban.status', (b) => badge(b.status)],
      ['ban.lifted_at', (b) => (b.lifted_at ? `${b.lifted_at.slice(0, 10)} — ${b.lift_reason}` : '')]], rows, { empty: 'ban.none_listed' }),
    page > 0 || rows.length === BAN_PAGE ? pager(page, rows.length === BAN_PAGE, show) : '');
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    show(0);
  });
  return { parts: [form, out], refresh: () => show(0) };
}

function bansSection(acts) {
  const parts = [];
  const list = acts.has('ban.read') ? banList() : null;
  if (acts.has('ban.manage')) {
    const button = h('button', { type: 'submit' }, t('ban.add'));
    const out = h('div', { 'aria-live': 'polite' });
    const form = h('form', { class: 'grid' }, h('h3', { class: 'wide' }, t('ban.add_title')),
      field('surname', 'person.surname', { attrs: { required: true } }), field('given_name', 'person.given_name', { attrs: { required: true } }),
      field('birth_date', 'person.birth_date', { attrs: { type: 'date' } }), field('nationality', 'person.citizenship'), field('fin', 'person.fin'),
      field('direction', 'ban.direction', { tag: 'select', options: [['both', 'value.both'], ['entry', 'value.entry'], ['exit', 'value.exit']] }),
      field('starts', 'ban.starts', { attrs: { type: 'date', required: true } }), field('ends', 'ban.ends', { attrs: { type: 'date' } }),
      field('legal_basis', 'watch.legal_basis', { attrs: { required: true }, wide: true }), field('authority', 'ban.authority', { attrs: { required: true } }),
      errorBox(), h('div', { class: 'actions' }, button));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const r = await run(form, button, () => api('POST', '/v1/bans', values(form)));
      if (r) out.replaceChildren(h('p', { role: 'status' }, t('ban.added', { id: r.id })), jsonView(r));
      if (r && list) list.refresh();
    });
    const lb = h('button', { type: 'submit', class: 'danger' }, t('ban.lift'));
    const lift = h('form', { class: 'grid' }, h('h3', { class: 'wide' }, t('ban.lift_title')),
      field('id', 'ban.id', { attrs: { required: true, inputmode: 'numeric' } }), field('reason', 'watch.reason', { attrs: { required: true } }),
      errorBox(), h('div', { class: 'actions' }, lb));
    const liftOut = h('div', { 'aria-live': 'polite' });
    lift.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const v = values(lift);
      const r = await run(lift, lb, () => api('POST', `/v1/bans/${encodeURIComponent(v.id || '')}/lift`, { reason: v.reason }));
      if (r) liftOut.replaceChildren(h('p', { role: 'status' }, t('ban.lifted', { id: r.id })));
      if (r && list) list.refresh();
    });
    parts.push(form, out, lift, liftOut);
  }
  if (acts.has('ban.read')) {
    const cb = h('button', { type: 'submit' }, t('ban.check'));
    const out = h('div', { 'aria-live': 'polite' });
    const check = h('form', { class: 'grid' }, h('h3', { class: 'wide' }, t('ban.check_title')),
      field('surname', 'person.surname', { attrs: { required: true } }), field('given_name', 'person.given_name', { attrs: { required: true } }),
      field('birth_date', 'person.birth_date', { attrs: { type: 'date' } }),
      field('direction', 'ban.direction', { tag: 'select', options: [['entry', 'value.entry'], ['exit', 'value.exit']] }),
      field('date', 'ban.date', { attrs: { type: 'date', required: true }, value: new Date().toISOString().slice(0, 10) }),
      errorBox(), h('div', { class: 'actions' }, cb));
    check.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const v = values(check);
      const person = { surname: v.surname, given_name: v.given_name };
      if (v.birth_date) person.birth_date = v.birth_date;
      const r = await run(check, cb, () => api('POST', '/v1/bans/check', { person, date: v.date, direction: v.direction }));
      if (r) out.replaceChildren(table([['ban.id', (b) => String(b.id)], ['person.surname', (b) => b.surname], ['person.given_name', (b) => b.given_name],
        ['ban.direction', (b) => badge(b.direction)], ['ban.starts', (b) => b.starts], ['ban.ends', (b) => b.ends],
        ['watch.legal_basis', (b) => b.legal_basis], ['ban.authority', (b) => b.authority]], r.bans || [], { empty: 'ban.none' }));
    });
    parts.push(check, out, ...list.parts);
    list.refresh();
  }
  return section('ban.title', ...parts);
}

export async function render(main, ctx) {
  const acts = new Set(ctx.me.actions);
  if (acts.has('watch.read')) main.append(listsSection(acts, ctx.me));
  if (acts.has('ban.read') || acts.has('ban.manage')) main.append(bansSection(acts));
}
