// Visas: issued and revoked by the documents role, looked up by border and police; and the
// crossing queries (who is in the country, who overstays, checks per checkpoint and day).
import { api, query } from '../api.js';
import { t } from '../i18n.js';
import { h, field, values, errorBox, run, section, table, badge } from '../ui.js';

const today = () => new Date().toISOString().slice(0, 10);

function visaTable(rows) {
  return table([['visa.number', (v) => v.number], ['visa.type', (v) => t(`visa.type_${v.type}`)],
    ['visa.passport', (v) => `${v.passport_number} (${v.nationality})`], ['visa.holder', (v) => `${v.surname} ${v.given_name}`],
    ['visa.valid', (v) => `${v.valid_from} – ${v.valid_until}`], ['visa.entries', (v) => (v.entries ? String(v.entries) : t('visa.multiple'))],
    ['visa.stay_days', (v) => String(v.stay_days)], ['doc.status', (v) => badge(v.status)]], rows, { empty: 'visa.none' });
}

function issueForm() {
  const button = h('button', { type: 'submit' }, t('visa.issue'));
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'grid visa-issue' }, h('h3', { class: 'wide' }, t('visa.issue_title')),
    field('number', 'visa.number', { attrs: { required: true, autocomplete: 'off' } }),
    field('type', 'visa.type', { tag: 'select', options: [['C', 'visa.type_C'], ['D', 'visa.type_D'], ['A', 'visa.type_A']] }),
    field('format', 'visa.format', { tag: 'select', options: [['MRV-A', null, 'MRV-A'], ['MRV-B', null, 'MRV-B']] }),
    field('passport_number', 'visa.passport_number', { attrs: { required: true } }),
    field('nationality', 'visa.nationality', { attrs: { required: true, maxlength: 3 } }),
    field('surname', 'person.surname', { attrs: { required: true } }), field('given_name', 'person.given_name', { attrs: { required: true } }),
    field('birth_date', 'person.birth_date', { attrs: { type: 'date' } }),
    field('sex', 'person.sex', { tag: 'select', options: [['M', 'sex.M'], ['F', 'sex.F'], ['X', 'sex.X']] }),
    field('valid_from', 'visa.valid_from', { attrs: { type: 'date', required: true }, value: today() }),
    field('valid_until', 'visa.valid_until', { attrs: { type: 'date', required: true } }),
    field('entries', 'visa.entries_allowed', { attrs: { type: 'number', min: 0, max: 99, required: true }, value: '1' }),
    field('stay_days', 'visa.stay_days', { attrs: { type: 'number', min: 1, required: true }, value: '30' }),
    errorBox(), h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = values(form);
    v.entries = Number(v.entries);
    v.stay_days = Number(v.stay_days);
    const r = await run(form, button, () => api('POST', '/v1/visas', v));
    if (r) out.replaceChildren(h('p', { role: 'status', class: 'big' }, t('visa.issued', { number: r.number })), h('pre', { class: 'mrz' }, r.mrz));
  });
  return [form, out];
}

function findForm(acts) {
  const button = h('button', { type: 'submit' }, t('doc.find'));
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'grid', role: 'search' }, h('h3', { class: 'wide' }, t('visa.find_title')),
    field('passport', 'visa.passport_number'), field('nationality', 'visa.nationality', { attrs: { maxlength: 3 } }),
    field('number', 'visa.number'), errorBox(), h('div', { class: 'actions' }, button));
  const show = async () => {
    const r = await run(form, button, () => api('GET', query('/v1/visas', values(form))));
    if (!r) return;
    const rows = r.visas || [];
    out.replaceChildren(visaTable(rows));
    if (acts.has('visa.manage') && rows.some((x) => x.status !== 'revoked')) out.append(revokeForm(rows, show));
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    show();
  });
  return [form, out];
}

function revokeForm(rows, after) {
  const button = h('button', { type: 'submit', class: 'danger' }, t('visa.revoke'));
  const form = h('form', { class: 'grid' }, h('h3', { class: 'wide' }, t('visa.revoke_title')),
    field('number', 'visa.number', { tag: 'select', options: rows.filter((x) => x.status !== 'revoked').map((x) => [x.number, null, x.number]) }),
    field('reason', 'watch.reason', { attrs: { required: true } }), errorBox(), h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = values(form);
    const r = await run(form, button, () => api('POST', `/v1/visas/${encodeURIComponent(v.number)}/revoke`, { reason: v.reason }));
    if (r) after();
  });
  return form;
}

export function visasSection(acts) {
  const parts = [];
  if (acts.has('visa.manage')) parts.push(...issueForm());
  parts.push(...findForm(acts));
  return section('visa.title', ...parts);
}

function crossingRows(kind, rows) {
  if (kind === 'counts') {
    return table([['border.checkpoint', (x) => x.checkpoint], ['crossing.day', (x) => x.day], ['border.direction', (x) => t(`value.${x.direction}`)],
      ['border.decision_col', (x) => badge(x.decision)], ['crossing.count', (x) => String(x.count)]], rows, { empty: 'border.no_crossings' });
  }
  const cols = [['border.when', (x) => x.at], ['border.checkpoint', (x) => x.checkpoint], ['border.direction', (x) => t(`value.${x.direction}`)],
    ['doc.number', (x) => x.document_number], ['border.issuing_state', (x) => x.nationality || x.issuing_state],
    ['crossing.person', (x) => [x.surname, x.given_name].filter(Boolean).join(' ') + (x.fin ? ` · ${x.fin}` : '')]];
  if (kind === 'overstays') {
    cols.push(['crossing.allowed_until', (x) => (x.stay && x.stay.allowed_until) || t('crossing.no_stay')],
      ['crossing.overstay_days', (x) => (x.stay && x.stay.overstay_days !== undefined ? String(x.stay.overstay_days) : '–')]);
  } else cols.push(['border.decision_col', (x) => badge(x.decision)]);
  return table(cols, rows, { empty: 'border.no_crossings' });
}

export function crossingQueries() {
  const button = h('button', { type: 'submit' }, t('list.show'));
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'grid crossing-query' },
    field('kind', 'crossing.query', { tag: 'select', options: [['in_country', 'crossing.in_country'], ['overstays', 'crossing.overstays'],
      ['counts', 'crossing.counts'], ['all', 'crossing.all']] }),
    field('checkpoint', 'border.checkpoint'), field('day', 'crossing.day', { attrs: { type: 'date' } }),
    errorBox(), h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = values(form);
    const q = { checkpoint: v.checkpoint, day: v.day, limit: 200 };
    if (v.kind !== 'all') q[v.kind] = 'true';
    const r = await run(form, button, () => api('GET', query('/v1/border/crossings', q)));
    if (r) out.replaceChildren(h('p', { role: 'status' }, t('crossing.found', { n: r.count ?? (r.crossings || []).length })), crossingRows(v.kind, r.crossings || []));
  });
  return section('crossing.title', form, out);
}
