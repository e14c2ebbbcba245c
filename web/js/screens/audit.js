// Audit: the searchable log (actor, object, action), a page at a time, and the check of
// its hash chain.
import { api, query } from '../api.js';
import { t } from '../i18n.js';
import { h, field, values, errorBox, run, section, table, pager, badge } from '../ui.js';

const PAGE = 25;

export async function render(main) {
  const button = h('button', { type: 'submit' }, t('audit.search'));
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'grid', role: 'search' }, field('actor', 'audit.actor'), field('object', 'audit.object'),
    field('action', 'audit.action'), errorBox(), h('div', { class: 'actions' }, button));
  // the log pages by id: each page remembers where it started
  let starts = [0];
  const load = async (page) => {
    const r = await run(form, button, () => api('GET', query('/v1/audit', { ...values(form), after: starts[page], limit: PAGE + 1 })));
    if (!r) return;
    const rows = r.entries.slice(0, PAGE);
    if (rows.length) starts[page + 1] = rows[rows.length - 1].id;
    out.replaceChildren(table([['audit.id', (e) => String(e.id)], ['audit.at', (e) => e.at], ['audit.actor', (e) => `${e.actor} (${e.role}, ${e.agency})`],
      ['audit.action', (e) => e.action], ['audit.object', (e) => e.object], ['audit.purpose', (e) => e.purpose],
      ['audit.outcome', (e) => badge(e.outcome)], ['audit.detail', (e) => e.detail]], rows, { empty: 'audit.none' }),
    pager(page, r.entries.length > PAGE, load));
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    starts = [0];
    load(0);
  });
  const vb = h('button', { type: 'button', class: 'secondary' }, t('audit.verify'));
  const vout = h('div', { 'aria-live': 'polite' });
  const vwrap = h('div', {}, errorBox(), h('div', { class: 'actions' }, vb), vout);
  vb.addEventListener('click', async () => {
    const r = await run(vwrap, vb, () => api('GET', '/v1/audit/verify'));
    if (r) vout.replaceChildren(h('p', { role: 'status' }, badge(r.ok ? 'intact' : 'broken'), ' ',
      r.ok ? t('audit.chain_ok', { n: r.entries }) : t('audit.chain_bad', { id: r.first_bad_id })));
  });
  main.append(section('audit.title', form, out), section('audit.verify_title', vwrap));
  load(0);
}
