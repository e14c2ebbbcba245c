// Field check for a handheld terminal (police patrol, mobile border unit): the MRZ and an
// optional photo in, three plain answers out (person found, wanted, document invalid),
// the alerts behind them and a thumbnail to compare with the person in front of the officer.
import { api, fileBase64 } from '../api.js';
import { t, tMaybe } from '../i18n.js';
import { h, field, errorBox, run, section, badge } from '../ui.js';

const UNIT = 'eyni.field_unit';

// One answer as a large yes/no line; "bad" marks the answer the officer must act on.
function answer(key, yes, bad) {
  return h('li', { class: `answer ${yes === bad ? 'alarm' : 'calm'}`, 'data-answer': key },
    h('span', {}, t(`field.${key}`)), h('strong', {}, t(yes ? 'field.yes' : 'field.no')));
}

function resultView(r) {
  const thumb = r.thumbnail
    ? h('figure', { class: 'thumb' }, h('img', { src: `data:image/jpeg;base64,${r.thumbnail}`, alt: t('field.thumb_alt', { name: r.name || '' }) }),
      h('figcaption', {}, t(`field.thumb_${r.thumbnail_of}`)))
    : h('p', { class: 'empty' }, t('field.no_thumb'));
  return h('div', { class: `outcome field-result decision-${r.decision}`, role: 'status' },
    h('p', { class: 'big' }, t('border.decision'), ' ', badge(r.decision)),
    h('div', { class: 'field-top' }, thumb,
      h('div', {}, h('p', { class: 'big' }, r.name || ''), h('p', {}, [r.birth_date, r.fin].filter(Boolean).join(' · ')))),
    h('ul', { class: 'answers' }, answer('person_found', r.person_found, false), answer('wanted', r.wanted, true),
      answer('document_invalid', r.document_invalid, true), answer('stay_illegal', r.stay_illegal, true)),
    (r.alerts || []).length
      ? h('ul', { class: 'reasons' }, r.alerts.map((x) => h('li', { class: x.severity }, badge(x.severity), ' ',
        h('strong', {}, tMaybe(`code.${x.code}`) ?? x.code), ' — ', x.message)))
      : h('p', {}, t('border.no_reasons')));
}

export async function render(main) {
  const mrz = field('mrz', 'border.mrz', { tag: 'textarea', wide: true,
    attrs: { required: true, rows: 3, spellcheck: 'false', autocomplete: 'off', class: 'mono' } });
  const unit = field('checkpoint', 'field.unit', { value: localStorage.getItem(UNIT) || '' });
  const photo = field('face', 'border.photo', { attrs: { type: 'file', accept: 'image/*', capture: 'environment' } });
  const button = h('button', { type: 'submit' }, t('field.check'));
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'grid field-check' }, mrz, unit, photo, errorBox(), h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    out.replaceChildren();
    const body = { mrz: mrz.input.value.trim(), request_id: crypto.randomUUID() };
    const u = unit.input.value.trim();
    if (u) body.checkpoint = u;
    localStorage.setItem(UNIT, u);
    const r = await run(form, button, async () => {
      if (photo.input.files[0]) body.face = await fileBase64(photo.input.files[0]);
      return api('POST', '/v1/field/checks', body);
    });
    if (r) out.replaceChildren(resultView(r));
  });
  main.append(section('field.title', form, out));
}
