// Registration desk: find or create a person, take the photo and fingerprints with their
// quality verdicts, submit the enrolment and show the de-duplication outcome.
import { api, query, fileBase64 } from '../api.js';
import { t, tMaybe } from '../i18n.js';
import { h, field, values, errorBox, run, section, table, pager, badge, showError, clearErrors } from '../ui.js';
import { drawImage, drawMinutiae } from '../image.js';

const PAGE = 10;

export function personFields() {
  return [
    field('surname', 'person.surname', { attrs: { required: true, autocomplete: 'off' } }),
    field('given_name', 'person.given_name', { attrs: { required: true, autocomplete: 'off' } }),
    field('patronymic', 'person.patronymic', { attrs: { autocomplete: 'off' } }),
    field('birth_date', 'person.birth_date', { attrs: { type: 'date', required: true } }),
    field('sex', 'person.sex', { tag: 'select', attrs: { required: true }, options: [['', 'person.choose'], ['M', 'sex.M'], ['F', 'sex.F'], ['X', 'sex.X']] }),
    field('birth_place', 'person.birth_place', {}),
    field('citizenship', 'person.citizenship', { value: 'AZE', attrs: { maxlength: 3, pattern: '[A-Z]{3}' } }),
  ];
}

function findSection() {
  const button = h('button', { type: 'submit' }, t('desk.find'));
  const results = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'grid', role: 'search' },
    field('surname', 'person.surname'), field('given_name', 'person.given_name'),
    field('birth_date', 'person.birth_date', { attrs: { type: 'date' } }), field('fin', 'person.fin'),
    errorBox(), h('div', { class: 'actions' }, button));
  const load = async (page) => {
    const q = { ...values(form), limit: PAGE + 1, offset: page * PAGE };
    const r = await run(form, button, () => api('GET', query('/v1/persons', q)));
    if (!r) return;
    const rows = r.results.slice(0, PAGE);
    results.replaceChildren(
      table([['person.fin', (p) => p.fin], ['person.surname', (p) => p.surname], ['person.given_name', (p) => p.given_name],
        ['person.birth_date', (p) => p.birth_date], ['person.sex', (p) => t(`sex.${p.sex}`)]], rows, { empty: 'desk.none_found' }),
      r.results.length > PAGE || page > 0 ? pager(page, r.results.length > PAGE, load) : '');
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    load(0);
  });
  return section('desk.find_title', form, results);
}

function verdictView(q) {
  if (!q) return '';
  const reasons = (q.reasons || []).map((r) => h('li', { class: r.blocking ? 'blocking' : '' },
    tMaybe(`reason.${r.reason}`) ?? r.advice, r.blocking ? h('span', { class: 'tag' }, ` (${t('quality.blocking')})`) : ''));
  return h('div', { class: `verdict ${q.ok ? 'ok' : 'bad'}`, role: 'status' },
    h('p', {}, badge(q.ok ? 'accepted' : 'rejected'), ' ', t('quality.score', { score: q.score }),
      q.modality === 'face' ? ` · ${q.icao_portrait ? t('quality.icao_yes') : t('quality.icao_no')}` : '',
      q.modality === 'finger' ? ` · ${t('quality.minutiae', { n: q.minutiae })}` : ''),
    reasons.length ? h('ul', { class: 'reasons' }, reasons) : '',
    q.message ? h('p', { class: 'detail' }, q.message) : '');
}

async function checkQuality(sample) {
  const r = await api('POST', '/v1/quality', { samples: [sample] });
  return r.quality[0];
}

// The photo: a file, or a frame from the browser's camera.
function photoPart(samples, scope) {
  const file = field('face', 'desk.photo', { attrs: { type: 'file', accept: 'image/*' } });
  const canvas = h('canvas', { class: 'preview', role: 'img', 'aria-label': t('desk.photo_preview') });
  const verdict = h('div', { 'aria-live': 'polite' });
  const video = h('video', { class: 'preview', playsinline: true, muted: true, hidden: true });
  const take = h('button', { type: 'button', class: 'secondary', hidden: true }, t('desk.take_photo'));
  const camera = h('button', { type: 'button', class: 'secondary' }, t('desk.camera'));
  let stream = null;
  const use = async (blob) => {
    clearErrors(scope);
    samples.face = null;
    verdict.replaceChildren(h('p', {}, t('quality.checking')));
    await drawImage(canvas, blob);
    const sample = { modality: 'face', image: await fileBase64(blob) };
    try {
      const q = await checkQuality(sample);
      verdict.replaceChildren(verdictView(q));
      if (q.ok) samples.face = sample;
    } catch (e) {
      verdict.replaceChildren();
      showError(scope, e);
    }
  };
  file.input.addEventListener('change', () => file.input.files[0] && use(file.input.files[0]));
  camera.addEventListener('click', async () => {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
      video.srcObject = stream;
      video.hidden = false;
      take.hidden = false;
      await video.play();
    } catch (e) {
      verdict.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, t('desk.no_camera'), ' ', e.message));
    }
  });
  take.addEventListener('click', () => {
    const c = document.createElement('canvas');
    c.width = video.videoWidth;
    c.height = video.videoHeight;
    c.getContext('2d').drawImage(video, 0, 0);
    for (const tr of stream.getTracks()) tr.stop();
    video.hidden = true;
    take.hidden = true;
    c.toBlob((b) => b && use(b), 'image/jpeg', 0.92);
  });
  return h('fieldset', { class: 'sample' }, h('legend', {}, t('desk.photo_title')),
    file, h('div', { class: 'actions' }, camera, take), video, canvas, verdict);
}

function fingerPart(samples, scope) {
  const cards = [];
  for (let pos = 1; pos <= 10; pos++) {
    const f = field(`finger-${pos}`, `finger.${pos}`, { attrs: { type: 'file', accept: 'image/*,.tif,.tiff,.wsq' } });
    const canvas = h('canvas', { class: 'preview finger', role: 'img', 'aria-label': t('desk.finger_preview', { name: t(`finger.${pos}`) }) });
    const verdict = h('div', { 'aria-live': 'polite' });
    f.input.addEventListener('change', async () => {
      const blob = f.input.files[0];
      delete samples.fingers[pos];
      if (!blob) return;
      clearErrors(scope);
      verdict.replaceChildren(h('p', {}, t('quality.checking')));
      const shown = await drawImage(canvas, blob);
      const sample = { modality: 'finger', position: pos, image: await fileBase64(blob) };
      try {
        const q = await checkQuality(sample);
        if (shown) drawMinutiae(canvas, q.points);
        verdict.replaceChildren(verdictView(q));
        if (q.ok) samples.fingers[pos] = sample;
      } catch (e) {
        verdict.replaceChildren();
        showError(scope, e);
      }
    });
    cards.push(h('div', { class: 'finger-card' }, f, canvas, verdict));
  }
  return h('fieldset', { class: 'sample' }, h('legend', {}, t('desk.fingers_title')),
    h('p', { class: 'hint' }, t('desk.fingers_help')), h('div', { class: 'fingers' }, cards));
}

function outcomeView(r) {
  const head = r.status === 'unique' ? t('desk.unique', { fin: r.fin })
    : r.status === 'duplicate' ? t('desk.duplicate', { fin: r.duplicate_of })
      : t('desk.possible', { case: r.case });
  return h('div', { class: `outcome ${r.status}`, role: 'status', 'data-fin': r.fin || r.duplicate_of || null, 'data-case': r.case || null },
    h('p', { class: 'big' }, badge(r.status), ' ', head),
    table([['desk.candidate', (c) => c.fin], ['desk.score', (c) => c.score?.toFixed?.(2) ?? c.score],
      ['desk.face', (c) => c.scores?.face?.toFixed?.(3) ?? '–'], ['desk.finger', (c) => c.scores?.finger?.toFixed?.(3) ?? '–']],
    r.candidates || [], { empty: 'desk.no_candidates' }));
}

function enrolSection() {
  const samples = { face: null, fingers: {} };
  const button = h('button', { type: 'submit' }, t('desk.submit'));
  const outcome = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'enrol', novalidate: true });
  form.append(h('fieldset', { class: 'grid' }, h('legend', {}, t('desk.person_title')), ...personFields()),
    photoPart(samples, form), fingerPart(samples, form), errorBox(), h('div', { class: 'actions' }, button), outcome);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    outcome.replaceChildren();
    const person = values(form);
    const list = [samples.face, ...Object.values(samples.fingers)].filter(Boolean);
    if (!list.length) {
      showError(form, new Error(t('desk.need_sample')));
      return;
    }
    const r = await run(form, button, () => api('POST', '/v1/enrolments', { person, samples: list }));
    if (r) outcome.replaceChildren(outcomeView(r));
  });
  return section('desk.enrol_title', form);
}

export async function render(main, ctx) {
  const acts = new Set(ctx.me.actions);
  if (acts.has('person.search')) main.append(findSection());
  if (acts.has('enrol')) main.append(enrolSection());
}
