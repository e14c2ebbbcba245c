// Border checkpoint: MRZ (typed, pasted or scanned), optional chip files and live photo,
// the decision with every reason, and the traveller's recent crossings; visas (issued by
// the documents role, read at the border) and the crossing queries.
import { api, query, fileBase64 } from '../api.js';
import { t, tMaybe } from '../i18n.js';
import { h, field, values, errorBox, run, section, table, badge, dl } from '../ui.js';
import { visasSection, crossingQueries } from './visas.js';

const CHECKPOINT = 'eyni.checkpoint';

function decisionView(r) {
  const doc = r.document || {};
  const holder = r.holder || {};
  return h('div', { class: `outcome decision-${r.decision}`, role: 'status' },
    h('p', { class: 'big' }, t('border.decision'), ' ', badge(r.decision)),
    h('h3', {}, t('border.reasons')),
    (r.reasons || []).length
      ? h('ul', { class: 'reasons' }, r.reasons.map((x) => h('li', { class: x.severity },
        badge(x.severity), ' ', h('strong', {}, tMaybe(`code.${x.code}`) ?? x.code), ' — ', x.message)))
      : h('p', {}, t('border.no_reasons')),
    h('div', { class: 'two' },
      h('div', {}, h('h3', {}, t('border.document')), dl([['doc.number', doc.number], ['doc.type', doc.type || doc.doc_type],
        ['border.issuing_state', doc.issuing_state], ['doc.expires', doc.expires || doc.expiry], ['doc.status', doc.status]])),
      h('div', {}, h('h3', {}, t('border.holder')), dl([['person.fin', holder.fin], ['person.surname', holder.surname],
        ['person.given_name', holder.given_name], ['person.birth_date', holder.birth_date], ['person.citizenship', holder.nationality || holder.citizenship]]))));
}

async function crossingsView(r) {
  const doc = r.document && r.document.number;
  const fin = r.holder && r.holder.fin;
  if (!doc && !fin) return '';
  const c = await api('GET', query('/v1/border/crossings', fin ? { fin, limit: 10 } : { document: doc, limit: 10 }));
  return h('div', {}, h('h3', {}, t('border.crossings')),
    table([['border.when', (x) => x.at || x.created_at], ['border.checkpoint', (x) => x.checkpoint], ['border.direction', (x) => x.direction && t(`value.${x.direction}`)],
      ['border.decision_col', (x) => badge(x.decision)], ['doc.number', (x) => x.document_number || x.document]], c.crossings || [], { empty: 'border.no_crossings' }));
}

function checkSection() {
  const mrz = field('mrz', 'border.mrz', { tag: 'textarea', wide: true,
    attrs: { required: true, rows: 3, spellcheck: 'false', autocomplete: 'off', class: 'mono' } });
  const checkpoint = field('checkpoint', 'border.checkpoint', { value: localStorage.getItem(CHECKPOINT) || '', attrs: { required: true } });
  const direction = field('direction', 'border.direction', { tag: 'select', options: [['entry', 'value.entry'], ['exit', 'value.exit']] });
  const face = field('face', 'border.photo', { attrs: { type: 'file', accept: 'image/*' } });
  const chip = field('chip', 'border.chip', { attrs: { type: 'file', multiple: true } });
  const button = h('button', { type: 'submit' }, t('border.check'));
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'grid' }, mrz, checkpoint, direction, field('plate', 'border.plate'), face, chip,
    errorBox(), h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    out.replaceChildren();
    const v = values(form);
    const body = { mrz: mrz.input.value.trim(), direction: v.direction, request_id: crypto.randomUUID() };
    if (v.checkpoint) body.checkpoint = v.checkpoint;
    if (v.plate) body.plate = v.plate;
    localStorage.setItem(CHECKPOINT, v.checkpoint || '');
    const r = await run(form, button, async () => {
      if (face.input.files[0]) body.face = await fileBase64(face.input.files[0]);
      if (chip.input.files.length) {
        body.chip = {};
        for (const f of chip.input.files) body.chip[f.name] = await fileBase64(f);
      }
      const res = await api('POST', '/v1/border/checks', body);
      return { res, crossings: await crossingsView(res).catch(() => '') };
    });
    if (r) out.replaceChildren(decisionView(r.res), r.crossings);
  });
  return section('border.title', form, out);
}

export async function render(main, ctx) {
  const acts = new Set(ctx.me.actions);
  if (acts.has('border.check')) main.append(checkSection());
  if (acts.has('visa.manage') || acts.has('visa.read')) main.append(visasSection(acts));
  if (acts.has('crossing.read')) main.append(crossingQueries());
}
