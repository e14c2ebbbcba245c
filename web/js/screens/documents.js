// Documents: issue (apply and personalise), MRZ and chip summary, status changes, and the
// blank stock of each office with transfers and reconciliation.
import { api, query, fileBase64 } from '../api.js';
import { t, tMaybe } from '../i18n.js';
import { h, field, values, errorBox, run, section, badge, dl, jsonView } from '../ui.js';

function docView(d) {
  return h('div', { class: 'doc', 'data-number': d.number },
    h('p', { class: 'big' }, badge(d.status), ' ', t('doc.number_is', { number: d.number })),
    d.mrz ? h('div', {}, h('h3', {}, t('doc.mrz')), h('pre', { class: 'mrz', 'aria-label': t('doc.mrz') },
      d.mrz.length === 88 ? `${d.mrz.slice(0, 44)}\n${d.mrz.slice(44)}` : d.mrz.length === 90 ? d.mrz.match(/.{30}/g).join('\n') : d.mrz)) : '',
    h('h3', {}, t('doc.chip')),
    dl([['doc.type', d.type], ['person.fin', d.fin], ['doc.issued', d.issued], ['doc.expires', d.expires],
      ['doc.blank', d.blank_serial], ['doc.chip_dir', d.chip_dir], ['doc.replaced', d.replaced], ['doc.reason', d.status_reason]]));
}

function issueSection(types) {
  const type = field('type', 'doc.type', { tag: 'select', attrs: { required: true },
    options: types.map((x) => [x.name, null, tMaybe(`doctype.${x.name}`) ?? x.description ?? x.name]) });
  const face = field('face', 'doc.live_face', { attrs: { type: 'file', accept: 'image/*' } });
  const button = h('button', { type: 'submit' }, t('doc.issue'));
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'grid' }, field('fin', 'person.fin', { attrs: { required: true, autocomplete: 'off' } }), type,
    field('office', 'doc.office'), field('reason', 'doc.reason'), face,
    h('div', { class: 'field check' }, h('label', {}, h('input', { type: 'checkbox', name: 'replace', value: 'yes' }), ' ', t('doc.replace'))),
    errorBox(), h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = values(form);
    body.replace = form.elements.replace.checked;
    if (!body.replace) delete body.replace;
    const d = await run(form, button, async () => {
      if (face.input.files[0]) body.face = await fileBase64(face.input.files[0]);
      return api('POST', '/v1/documents', body);
    });
    if (d) out.replaceChildren(docView(d));
  });
  return section('doc.issue_title', form, out);
}

function findSection(canStatus) {
  const number = field('number', 'doc.number', { attrs: { required: true, autocomplete: 'off' } });
  const button = h('button', { type: 'submit' }, t('doc.find'));
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'grid', role: 'search' }, number, errorBox(), h('div', { class: 'actions' }, button));
  const show = (d) => {
    const parts = [docView(d)];
    if (canStatus) {
      const st = field('status', 'doc.new_status', { tag: 'select', attrs: { required: true },
        options: [['lost', 'value.lost'], ['stolen', 'value.stolen'], ['revoked', 'value.revoked']] });
      const reason = field('reason', 'doc.reason', { attrs: { required: true } });
      const b = h('button', { type: 'submit' }, t('doc.set_status'));
      const sf = h('form', { class: 'grid' }, st, reason, errorBox(), h('div', { class: 'actions' }, b));
      sf.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const r = await run(sf, b, () => api('POST', `/v1/documents/${encodeURIComponent(d.number)}/status`, values(sf)));
        if (r) show(r);
      });
      parts.push(h('h3', {}, t('doc.status_title')), sf);
    }
    out.replaceChildren(...parts);
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const d = await run(form, button, () => api('GET', `/v1/documents/${encodeURIComponent(number.input.value.trim())}`));
    if (d) show(d);
  });
  return section('doc.find_title', form, out);
}

function simpleForm(fields, submitKey, call, view) {
  const button = h('button', { type: 'submit' }, t(submitKey));
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'grid' }, ...fields, errorBox(), h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const r = await run(form, button, () => call(values(form)));
    if (r) out.replaceChildren(view ? view(r) : jsonView(r));
  });
  return h('div', {}, form, out);
}

function stockSection(acts) {
  const parts = [h('h3', {}, t('stock.reconcile'))];
  parts.push(simpleForm([field('office', 'doc.office'), field('from', 'stock.from', { attrs: { type: 'date' } }),
    field('to', 'stock.to', { attrs: { type: 'date' } }), field('overdue_days', 'stock.overdue', { attrs: { type: 'number', min: 1, max: 3650 } })],
  'stock.run', (v) => api('GET', query('/v1/blanks/reconciliation', v))));
  if (acts.has('blank.manage')) {
    parts.push(h('h3', {}, t('stock.receive')), simpleForm([
      field('doc_type', 'doc.type', { attrs: { required: true }, value: 'passport' }), field('first', 'stock.first', { attrs: { required: true } }),
      field('last', 'stock.last', { attrs: { required: true } }), field('office', 'doc.office', { attrs: { required: true } }),
      field('printer', 'stock.printer'), field('reference', 'stock.reference')], 'stock.receive_do',
    (v) => api('POST', '/v1/blanks/batches', v)));
    parts.push(h('h3', {}, t('stock.transfer')), simpleForm([
      field('from', 'stock.from_office', { attrs: { required: true } }), field('to', 'stock.to_office', { attrs: { required: true } }),
      field('first', 'stock.first', { attrs: { required: true } }), field('last', 'stock.last', { attrs: { required: true } })],
    'stock.send', (v) => api('POST', '/v1/blanks/transfers', v)));
    parts.push(h('h3', {}, t('stock.accept')), simpleForm([
      field('id', 'stock.transfer_id', { attrs: { required: true, inputmode: 'numeric' } }), field('missing', 'stock.missing')],
    'stock.accept_do', (v) => api('POST', `/v1/blanks/transfers/${encodeURIComponent(v.id || '')}/accept`,
      v.missing ? { missing: v.missing.split(/[\s,]+/).filter(Boolean) } : undefined)));
  }
  parts.push(h('h3', {}, t('stock.blank')), simpleForm([field('serial', 'doc.blank', { attrs: { required: true } })], 'doc.find',
    (v) => api('GET', `/v1/blanks/${encodeURIComponent(v.serial || '')}`)));
  return section('stock.title', ...parts);
}

export async function render(main, ctx) {
  const acts = new Set(ctx.me.actions);
  if (acts.has('document.issue')) {
    const types = await api('GET', '/v1/document-types').then((r) => r.types).catch(() => [{ name: 'passport' }, { name: 'id_card' }]);
    main.append(issueSection(types));
  }
  if (acts.has('document.read') || acts.has('document.status')) main.append(findSection(acts.has('document.status')));
  if (acts.has('blank.read')) main.append(stockSection(acts));
}
