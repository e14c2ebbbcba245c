// Adjudication: the queue of possible duplicates, each case side by side with its scores
// and images, the decision, and the audit line it wrote.
import { api, query, ApiError } from '../api.js';
import { t } from '../i18n.js';
import { h, field, errorBox, run, section, table, badge, dl } from '../ui.js';
import { drawImage, drawMinutiae, base64Blob } from '../image.js';

const PAGE = 20;

function personFacts(p) {
  if (!p) return h('p', { class: 'empty' }, t('adj.no_record'));
  return dl([['person.fin', p.fin], ['person.surname', p.surname], ['person.given_name', p.given_name],
    ['person.patronymic', p.patronymic], ['person.birth_date', p.birth_date], ['person.sex', p.sex && t(`sex.${p.sex}`)],
    ['person.birth_place', p.birth_place], ['person.citizenship', p.citizenship]]);
}

function sampleViews(list) {
  if (!list) return h('p', { class: 'hint' }, t('adj.no_images'));
  return h('div', { class: 'samples' }, list.map((s) => {
    const canvas = h('canvas', { class: `preview ${s.modality}`, role: 'img',
      'aria-label': s.modality === 'face' ? t('adj.face_image') : t('desk.finger_preview', { name: t(`finger.${s.position}`) }) });
    drawImage(canvas, base64Blob(s.image)).then((ok) => ok && drawMinutiae(canvas, s.points));
    return h('figure', {}, canvas, h('figcaption', {}, s.modality === 'face' ? t('desk.face') : t(`finger.${s.position}`)));
  }));
}

function auditLine(c) {
  return h('p', { class: 'audit-line', role: 'status' }, t('adj.audit_line', {
    id: c.id, decision: t(`adj.${c.decision}`), by: c.decided_by || '', at: c.decided_at || '', note: c.note || '' }));
}

async function openCase(id, box, ctx) {
  const c = await api('GET', `/v1/adjudications/${id}`);
  let images = null;
  try {
    images = await api('GET', `/v1/adjudications/${id}/samples`);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 404) throw e;
  }
  const cands = c.candidates || [];
  const people = await Promise.all(cands.map((k) => api('GET', `/v1/persons/${encodeURIComponent(k.fin)}`).catch(() => null)));
  const columns = [h('div', { class: 'side applicant' }, h('h3', {}, t('adj.applicant')), personFacts(c.applicant),
    sampleViews(images && images.applicant))];
  cands.forEach((k, i) => columns.push(h('div', { class: 'side' },
    h('h3', {}, t('adj.candidate', { fin: k.fin })),
    dl([['adj.fused', k.score?.toFixed?.(2) ?? k.score], ['desk.face', k.scores?.face?.toFixed?.(3) ?? '–'],
      ['desk.finger', k.scores?.finger?.toFixed?.(3) ?? '–']]),
    personFacts(people[i]), sampleViews(images && images.candidates && images.candidates[k.fin]))));
  // A document application's applicant claims to be the holder of c.fin (shown as applicant).
  const kind = c.kind === 'application' ? t('adj.kind_application', { fin: c.fin }) : t('adj.kind_enrolment');
  const parts = [h('h3', {}, t('adj.case', { id: c.id })), h('p', {}, badge(c.status), ' ', kind, ' · ', t('adj.opened', { at: c.opened_at })),
    h('div', { class: 'side-by-side' }, columns)];
  if (c.status === 'decided') parts.push(auditLine(c));
  else if (ctx.me.actions.includes('case.decide')) parts.push(decideForm(c, box, ctx));
  box.replaceChildren(...parts);
  box.querySelector('h3').focus?.();
}

function decideForm(c, box, ctx) {
  const decision = field('decision', 'adj.decision', { tag: 'select', attrs: { required: true },
    options: [['same', 'adj.same'], ['different', 'adj.different']] });
  const fin = field('fin', 'adj.same_as', { tag: 'select', options: (c.candidates || []).map((k) => [k.fin, null]) });
  const note = field('note', 'adj.note', { tag: 'textarea', attrs: { required: true, rows: 3, maxlength: 300 }, wide: true });
  decision.input.addEventListener('change', () => {
    fin.hidden = decision.input.value !== 'same';
  });
  const button = h('button', { type: 'submit' }, t('adj.decide'));
  const form = h('form', { class: 'grid decide' }, decision, fin, note, errorBox(), h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { decision: decision.input.value, note: note.input.value.trim() };
    if (body.decision === 'same' && fin.input.value) body.fin = fin.input.value;
    const r = await run(form, button, async () => {
      const out = await api('POST', `/v1/adjudications/${c.id}/decision`, body);
      const after = await api('GET', `/v1/adjudications/${c.id}`);
      return { out, after };
    });
    if (!r) return;
    form.replaceWith(h('div', { class: 'outcome' },
      h('p', { class: 'big' }, badge(r.out.status), ' ', r.out.fin ? t('adj.result_fin', { fin: r.out.fin }) : ''),
      auditLine(r.after)));
  });
  return form;
}

export async function render(main, ctx) {
  const detail = h('div', { class: 'case', 'aria-live': 'polite' });
  const caseWrap = h('div', {}, errorBox(), detail);
  const status = field('status', 'adj.status', { tag: 'select', options: [['open', 'value.open'], ['decided', 'value.decided'], ['', 'adj.all']] });
  const button = h('button', { type: 'submit' }, t('list.show'));
  const listBox = h('div', {});
  const form = h('form', { class: 'grid' }, status, errorBox(), h('div', { class: 'actions' }, button));
  let limit = PAGE;
  const load = async () => {
    const r = await run(form, button, () => api('GET', query('/v1/adjudications', { status: status.input.value, limit: limit + 1 })));
    if (!r) return;
    const rows = r.cases.slice(0, limit);
    const more = r.cases.length > limit ? h('button', { type: 'button', class: 'secondary', onclick: () => { limit += PAGE; load(); } }, t('list.more')) : '';
    listBox.replaceChildren(table([
      ['adj.case_no', (c) => h('button', { type: 'button', class: 'link', onclick: () => run(caseWrap, null, () => openCase(c.id, detail, ctx)) }, t('adj.case', { id: c.id }))],
      ['adj.kind', (c) => (c.kind === 'application' ? t('adj.kind_application', { fin: c.fin }) : t('adj.kind_enrolment'))],
      ['adj.status', (c) => badge(c.status)], ['adj.opened_at', (c) => c.opened_at],
      ['adj.candidates', (c) => String((c.candidates || []).length)]], rows, { empty: 'adj.queue_empty' }), more);
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    limit = PAGE;
    load();
  });
  main.append(section('adj.queue', form, listBox), section('adj.case_title', caseWrap));
  await load();
}
