// The video desk: alerts from the cameras as they come (pushed over the event stream), each
// with the camera's snapshot, to acknowledge or dismiss with a note; the archive of alerts
// and decisions; the wanted faces (added from a photo with the legal reason, removed when
// the warrant ends); the cameras with their health, added and removed here.
import { api, query, events, ApiError, plainError, fileBase64 } from '../api.js';
import { t } from '../i18n.js';
import { h, field, values, errorBox, run, section, table, pager, badge, dl, announce } from '../ui.js';

const OPEN_PAGE = 100; // open alerts read per request when catching up
const OPEN_PAGES = 10; // at most this many pages at once; the archive has the rest
const ARCHIVE_PAGE = 20;
const CAMERA_REFRESH_MS = 15000;

function fixed(x, digits) {
  return typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '–';
}

// The score an alert was raised on against the threshold it passed: the normalised one with
// a cohort (the stream sends -1 without one, the list leaves it out), else the raw one.
function scoreText(a) {
  if (typeof a.norm === 'number' && a.norm >= 0)
    return t('video.score_norm', { norm: fixed(a.norm, 2), threshold: fixed(a.threshold, 2), raw: fixed(a.score, 3) });
  return t('video.score_raw', { raw: fixed(a.score, 3), threshold: fixed(a.threshold, 3) });
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

// The snapshot is fetched on demand: every read of it is audited.
function snapshotFigure(a) {
  const fig = h('figure', { class: 'snapshot' });
  if (!a.snapshot) {
    fig.append(h('p', { class: 'empty' }, t('video.no_snapshot')));
    return fig;
  }
  fig.append(h('p', { class: 'hint' }, t('video.loading_snapshot')));
  api('GET', `/v1/watch/events/${a.id}/snapshot`).then((r) => fig.replaceChildren(
    h('img', { src: `data:${r.content_type};base64,${r.image}`, alt: t('video.snapshot_alt', { label: a.label, camera: a.camera }) }),
    h('figcaption', {}, t('video.snapshot_caption', { camera: a.camera, time: fixed(a.stream_time, 1) }))))
    .catch((e) => fig.replaceChildren(h('p', { class: 'empty' }, plainError(e).title)));
  return fig;
}

function alertFacts(a) {
  return dl([['video.camera', a.camera], ['video.seen_at', a.seen_at], ['video.stream_time', `${fixed(a.stream_time, 1)} s`],
    ['video.score', scoreText(a)], ['video.fmr', a.fmr_estimate > 0 ? a.fmr_estimate.toExponential(1) : '–'],
    ['video.track', String(a.track)]]);
}

// One open alert: what the camera saw, who it was taken for, and the two decisions. A
// dismissal needs a note (why it is not the person): it is the record a review reads. A face
// dismissed as a look-alike is remembered: the cameras hold back this wanted person's alerts
// for faces closer to it than to the wanted photo.
function alertCard(a, onDecided) {
  const note = field('note', 'video.note', { wide: true });
  const lookalike = h('input', { type: 'checkbox', name: 'lookalike', value: 'yes' });
  const lookField = h('div', { class: 'field check wide' }, h('label', {}, lookalike, ' ', t('video.lookalike')));
  const ack = h('button', { type: 'submit' }, t('video.acknowledge'));
  const dismiss = h('button', { type: 'button', class: 'danger' }, t('video.dismiss'));
  const card = h('form', { class: 'alert-card', 'data-alert': String(a.id) }, snapshotFigure(a),
    h('div', { class: 'alert-body' }, h('h3', {}, t('video.alert_title', { id: a.id, label: a.label })), alertFacts(a),
      note, lookField, errorBox(), h('div', { class: 'actions' }, ack, dismiss)));
  const decide = async (decision, button) => {
    const v = values(card);
    if (decision === 'dismissed' && !v.note) {
      note.input.setAttribute('aria-invalid', 'true');
      note.querySelector('.field-error').textContent = t('video.note_needed');
      note.input.focus();
      return;
    }
    const remember = decision === 'dismissed' && lookalike.checked;
    const r = await run(card, button, () => api('POST', `/v1/watch/events/${a.id}/decision`, { decision, note: v.note, lookalike: remember }));
    if (r) onDecided(a, remember ? 'lookalike' : decision, card);
  };
  card.addEventListener('submit', (ev) => {
    ev.preventDefault();
    decide('acknowledged', ack);
  });
  dismiss.addEventListener('click', () => decide('dismissed', dismiss));
  return card;
}

// Open alerts: those already waiting when the screen opens, then each new one as the server
// pushes it. After a break in the stream the list is read again from the last alert seen, so
// nothing raised meanwhile is lost; the stream is reopened with back-off.
function liveSection(signal) {
  const status = h('p', { class: 'stream-status', role: 'status' }, t('video.connecting'));
  const count = h('p', { class: 'big' });
  const list = h('div', { class: 'alerts' });
  const done = h('div', { 'aria-live': 'polite' });
  const shown = new Map();
  let last = 0;
  const recount = () => {
    count.textContent = t('video.open_count', { n: shown.size });
    if (!shown.size) list.replaceChildren(h('p', { class: 'empty' }, t('video.no_open')));
  };
  const decided = (a, decision, card) => {
    shown.delete(a.id);
    card.remove();
    done.replaceChildren(h('p', { class: 'audit-line', role: 'status' }, t(`video.decided_${decision}`, { id: a.id, label: a.label })));
    recount();
  };
  const add = (a) => {
    last = Math.max(last, a.id);
    if (shown.has(a.id) || (a.decision && a.decision !== 'open')) return;
    if (!shown.size) list.replaceChildren();
    const card = alertCard(a, decided);
    shown.set(a.id, card);
    list.prepend(card);
    recount();
  };
  const catchUp = async () => {
    for (let page = 0; page < OPEN_PAGES; page++) {
      const r = await api('GET', query('/v1/watch/events', { after: last, decision: 'open', limit: OPEN_PAGE }));
      const rows = r.events || [];
      rows.forEach(add);
      if (rows.length < OPEN_PAGE) break;
    }
  };
  // a decision taken on another desk takes the alert off this one's open list
  const decidedElsewhere = (d) => {
    const card = shown.get(d.id);
    if (!card) return; // ours (already gone) or never shown here
    shown.delete(d.id);
    card.remove();
    done.replaceChildren(h('p', { class: 'audit-line', role: 'status' },
      t('video.decided_elsewhere', { id: d.id, decision: t(`value.${d.decision}`), by: d.decided_by || '' })));
    recount();
  };
  const onEvent = (type, data) => {
    if (type !== 'alert' && type !== 'decision') return;
    let a;
    try {
      a = JSON.parse(data);
    } catch {
      return; // not what the server writes; the next catch-up reads the list
    }
    if (!a || typeof a.id !== 'number') return;
    if (type === 'decision') {
      decidedElsewhere(a);
      return;
    }
    add(a);
    announce(t('video.new_alert', { label: a.label, camera: a.camera }));
  };
  const watch = async () => {
    let delay = 1000;
    while (!signal.aborted) {
      try {
        await events('/v1/watch/events/stream', {
          signal,
          onOpen: () => {
            status.textContent = t('video.connected');
            status.className = 'stream-status on';
            delay = 1000;
            catchUp().catch((e) => (status.textContent = plainError(e).title));
          },
          onEvent,
        });
        status.textContent = t('video.stream_ended');
      } catch (e) {
        if (signal.aborted) return;
        status.className = 'stream-status off';
        status.textContent = `${t('video.stream_broken')} ${plainError(e).title}`;
        // a key that may not watch, or a server without a stream: retrying will not help
        if (e instanceof ApiError && [401, 403, 409].includes(e.status)) return;
      }
      await sleep(delay, signal);
      delay = Math.min(delay * 2, 30000);
    }
  };
  recount();
  watch();
  return section('video.live', status, count, list, done);
}

// A dismissal as look-alike that was wrong (the person himself, whom the cameras now hold
// back) is revoked with a reason; the cameras alert on him again within seconds.
function revokeForm(a, onDone) {
  const button = h('button', { type: 'submit', class: 'danger' }, t('video.revoke'));
  const form = h('form', { class: 'grid revoke-lookalike' }, h('h3', { class: 'wide' }, t('video.revoke_title', { id: a.id, label: a.label })),
    field('reason', 'video.revoke_reason', { attrs: { required: true }, wide: true }), errorBox(), h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (await run(form, button, () => api('POST', `/v1/watch/events/${a.id}/revoke-lookalike`, values(form)))) onDone(a);
  });
  return form;
}

// Every alert with its decision, oldest first from a chosen number, a page at a time.
function archiveSection() {
  const button = h('button', { type: 'submit' }, t('list.show'));
  const out = h('div', { 'aria-live': 'polite' });
  const side = h('div', {});
  const form = h('form', { class: 'grid alert-archive', role: 'search' },
    field('decision', 'video.decision', { tag: 'select', options: [['', 'video.all'], ['open', 'value.open'],
      ['acknowledged', 'value.acknowledged'], ['dismissed', 'value.dismissed']] }),
    field('from', 'video.from', { attrs: { type: 'number', min: '0', step: '1' }, value: '0' }),
    errorBox(), h('div', { class: 'actions' }, button));
  const cursors = [];
  const snapshotButton = (a) => {
    if (!a.snapshot) return '';
    const b = h('button', { type: 'button', class: 'secondary' }, t('video.show_snapshot'));
    b.addEventListener('click', () => b.replaceWith(snapshotFigure(a)));
    return b;
  };
  let show;
  const revokeButton = (a) => (a.lookalike ? h('button', { type: 'button', class: 'secondary', onclick: () => side.replaceChildren(revokeForm(a, (done) => {
    side.replaceChildren(h('p', { role: 'status' }, t('video.revoked', { id: done.id, label: done.label })));
    show(0);
  })) }, t('video.revoke')) : '');
  show = async (page) => {
    const v = values(form);
    if (page === 0) cursors.splice(0, cursors.length, Number(v.from || 0));
    const r = await run(form, button, () => api('GET', query('/v1/watch/events', { after: cursors[page], decision: v.decision, limit: ARCHIVE_PAGE })));
    if (!r) return;
    const rows = r.events || [];
    if (rows.length) cursors[page + 1] = rows[rows.length - 1].id;
    out.replaceChildren(table([['video.id', (a) => String(a.id)], ['video.seen_at', (a) => a.seen_at], ['video.camera', (a) => a.camera],
      ['video.wanted', (a) => a.label], ['video.score', scoreText],
      ['video.decision', (a) => (a.lookalike || a.held ? h('span', {}, badge(a.decision), a.lookalike ? ` ${t('video.lookalike_short')}` : '',
        a.held ? ` ${t('video.held_back', { n: a.held, at: a.held_last })}` : '') : badge(a.decision))],
      ['video.decided', (a) => (a.decided_at ? `${a.decided_at} ${a.decided_by || ''}` : '')], ['video.note', (a) => a.note || ''],
      ['video.snapshot', snapshotButton], ['list.actions', revokeButton]], rows, { empty: 'video.none_listed' }),
    page > 0 || rows.length === ARCHIVE_PAGE ? pager(page, rows.length === ARCHIVE_PAGE, show) : '');
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    show(0);
  });
  show(0);
  return section('video.archive', form, out, side);
}

// The enrolment check of a new wanted photo: a photo that will match badly in video is said
// so with the advice, though it is kept (it may be the only one there is).
function qualityNote(label, q) {
  const warnings = (q && q.warnings) || [];
  return h('div', { class: `verdict ${warnings.length ? 'bad' : 'ok'}`, role: 'status' },
    h('p', {}, t('video.wanted_added', { label, score: fixed(q && q.score, 0) })),
    warnings.length ? h('ul', { class: 'reasons' }, warnings.map((w) => h('li', {}, w.advice || w.reason))) : '');
}

function wantedRemoveForm(w, onDone) {
  const button = h('button', { type: 'submit', class: 'danger' }, t('video.remove'));
  const form = h('form', { class: 'grid' }, h('h3', { class: 'wide' }, t('video.wanted_remove_title', { id: w.id, label: w.label })),
    field('reason', 'video.removal_reason', { attrs: { required: true }, wide: true }), errorBox(), h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (await run(form, button, () => api('POST', `/v1/watch/wanted/${w.id}/remove`, values(form)))) onDone(w);
  });
  return form;
}

// The entries of the watchlists the cameras also look for (video.watchlists), as the lists
// hold them: an entry leaves with its removal there, so there is no action here.
function watchlistFaces(r) {
  if (!r.watchlists) return '';
  return h('div', {}, h('h3', {}, t('video.from_watchlists', { lists: r.watchlists })),
    table([['watch.entry', (e) => String(e.watch_entry)], ['video.label', (e) => e.label], ['video.watch_list', (e) => e.list],
      ['video.legal_reason', (e) => e.reason], ['video.faces', (e) => String(e.faces)], ['video.added_col', (e) => e.added_at]],
    r.watchlist || [], { empty: 'video.no_watch_entries' }));
}

// The faces the cameras look for: each with its legal reason; removed ones on request.
function wantedSection() {
  const box = h('div', { 'aria-live': 'polite' });
  const side = h('div', {});
  const wrap = h('div', {}, errorBox());
  const showRemoved = h('input', { type: 'checkbox', id: 'wanted-removed' });
  const load = async () => {
    const r = await run(wrap, null, () => api('GET', query('/v1/watch/wanted', { removed: showRemoved.checked ? 1 : '' })));
    if (!r) return;
    box.replaceChildren(table([['video.id', (w) => String(w.id)], ['video.label', (w) => w.label], ['person.fin', (w) => w.fin || ''],
      ['video.legal_reason', (w) => w.reason], ['video.added_col', (w) => `${w.added_at} ${w.added_by}`],
      ['video.state', (w) => (w.removed_at ? h('span', {}, badge('removed', 'deny'), ` ${w.removed_at} — ${w.removal_reason}`) : badge('active'))],
      ['list.actions', (w) => (w.removed_at ? '' : h('button', { type: 'button', class: 'danger', onclick: () => side.replaceChildren(wantedRemoveForm(w, (gone) => {
        side.replaceChildren(h('p', { role: 'status' }, t('video.wanted_removed', { id: gone.id, label: gone.label })));
        load();
      })) }, t('video.remove')))]], r.wanted || [], { empty: 'video.no_wanted' }), watchlistFaces(r));
  };
  showRemoved.addEventListener('change', load);
  const photo = field('photo', 'video.photo', { attrs: { type: 'file', accept: 'image/jpeg,image/png', required: true } });
  const button = h('button', { type: 'submit' }, t('video.add_wanted'));
  const form = h('form', { class: 'grid wanted-add' }, h('h3', { class: 'wide' }, t('video.add_wanted_title')),
    field('label', 'video.label', { attrs: { required: true, maxlength: '127' } }), field('fin', 'person.fin'),
    field('reason', 'video.legal_reason', { attrs: { required: true }, wide: true }), photo,
    errorBox(), h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const file = photo.input.files[0];
    if (!file) return;
    const v = values(form);
    const r = await run(form, button, async () => api('POST', '/v1/watch/wanted', { ...v, photo: await fileBase64(file) }));
    if (!r) return;
    side.replaceChildren(qualityNote(r.label, r.quality));
    for (const name of ['label', 'fin']) form.elements.namedItem(name).value = '';
    photo.input.value = '';
    load();
  });
  load();
  return section('video.wanted_faces', wrap, h('div', { class: 'field check' }, showRemoved, h('label', { for: 'wanted-removed' }, t('video.show_removed'))),
    box, side, form);
}

function cameraState(c) {
  const s = c.stats;
  if (!s) return badge('waiting', 'warning');
  if (!s.running) return badge('stopped', 'deny');
  return s.connected ? badge('connected', 'ok') : badge('reconnecting', 'warning');
}

function cameraHealth(c) {
  const s = c.stats;
  if (!s) return t('video.not_reported');
  return t('video.health', { analysed: s.frames_analysed, dropped: s.frames_dropped, reconnects: s.reconnects,
    outages: s.outages, seconds: fixed(s.outage_seconds, 0), tracks: s.tracks, alerts: s.alerts });
}

function removeForm(c, onDone) {
  const button = h('button', { type: 'submit', class: 'danger' }, t('video.remove'));
  const form = h('form', { class: 'grid' }, h('h3', { class: 'wide' }, t('video.remove_title', { name: c.name })),
    h('p', { class: 'wide' }, t('video.remove_help')), errorBox(), h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (await run(form, button, () => api('DELETE', `/v1/watch/cameras/${c.id}`))) onDone(c);
  });
  return form;
}

// The cameras with what the video service last reported on each (it reports every few
// seconds; the list is read again every 15 s while the screen is open).
function camerasSection(signal) {
  const box = h('div', { 'aria-live': 'polite' });
  const confirm = h('div', {});
  const wrap = h('div', {}, errorBox());
  const load = async () => {
    const r = await run(wrap, null, () => api('GET', '/v1/watch/cameras'));
    if (!r) return;
    box.replaceChildren(table([['video.camera', (c) => c.name], ['video.url', (c) => h('span', { class: 'mono' }, c.url)],
      ['video.fps', (c) => String(c.sample_fps)], ['video.state', cameraState], ['video.health_col', cameraHealth],
      ['video.last_error', (c) => (c.stats && c.stats.last_error) || ''], ['video.updated', (c) => (c.stats ? c.stats.updated_at : '')],
      ['list.actions', (c) => h('button', { type: 'button', class: 'danger', onclick: () => confirm.replaceChildren(removeForm(c, (gone) => {
        confirm.replaceChildren(h('p', { role: 'status' }, t('video.removed', { name: gone.name })));
        load();
      })) }, t('video.remove'))]], r.cameras || [], { empty: 'video.no_cameras' }));
  };
  const button = h('button', { type: 'submit' }, t('video.add_camera'));
  const form = h('form', { class: 'grid camera-add' }, h('h3', { class: 'wide' }, t('video.add_title')),
    field('name', 'video.camera_name', { attrs: { required: true, pattern: '[A-Za-z0-9_-]{1,64}' } }),
    field('url', 'video.url', { attrs: { required: true, spellcheck: 'false' }, wide: true }),
    field('sample_fps', 'video.fps', { attrs: { type: 'number', min: '0.2', max: '30', step: '0.1' }, value: '5' }),
    errorBox(), h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = values(form);
    if (v.sample_fps) v.sample_fps = Number(v.sample_fps);
    const r = await run(form, button, () => api('POST', '/v1/watch/cameras', v));
    if (!r) return;
    for (const name of ['name', 'url']) form.elements.namedItem(name).value = '';
    confirm.replaceChildren(h('p', { role: 'status' }, t('video.added', { name: r.name })));
    load();
  });
  const timer = setInterval(load, CAMERA_REFRESH_MS);
  signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  load();
  return section('video.cameras', wrap, box, confirm, form);
}

// Returns what to do when the operator leaves the screen: close the stream, stop the timer.
export async function render(main) {
  const ctrl = new AbortController();
  main.append(liveSection(ctrl.signal), camerasSection(ctrl.signal), wantedSection(), archiveSection());
  return () => ctrl.abort();
}
