/* Biometrics of watchlist entries for persons who need not be in the register: face and
 * fingerprint templates sealed at rest like identity samples, held in galleries of their
 * own that are rebuilt from the store and follow it, and searched 1:N at checkpoints.
 *
 * The watchlists are searched at a stricter point than a 1:1 comparison: with N templates
 * a per-comparison false-match rate f gives about N * f false alarms per traveller, so a
 * hit needs evidence -log10(f) of at least log10(N) + 2 (one false alarm in a hundred
 * travellers), and never less than the 1:1 verification point. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eyni/border.h"
#include "identity_int.h"

#define WATCH_K 8 /* gallery hits considered per probe */

struct id_watch {
    eyni_gallery *faces;
    eyni_finger_gallery *fingers[ID_POSITIONS];
    long long last; /* newest watch_biometrics row loaded */
    pthread_rwlock_t lock;
};

static void aad_of(char *out, size_t cap, long long entry, const char *modality, int position,
                   char part)
{
    snprintf(out, cap, REG_WATCH_AAD, entry, modality, position, part);
}

static int load_one(eyni_identity *id, eyni_stmt *st, eyni_error *err)
{
    long long row = eyni_stmt_int64(st, 0), entry = eyni_stmt_int64(st, 1);
    const char *modality = eyni_stmt_text(st, 2);
    int position = (int)eyni_stmt_int64(st, 3);
    size_t blen = 0, tlen = 0;
    const unsigned char *blob = eyni_stmt_blob(st, 4, &blen);
    unsigned char *tpl = NULL;
    char aad[96];
    aad_of(aad, sizeof aad, entry, modality, position, 't');
    int rc = eyni_keyring_open(id->reg->keys, aad, strlen(aad), blob, blen, &tpl, &tlen, err);
    if (rc == 0 && !strcmp(modality, "face")) {
        float emb[EYNI_FACE_DIM];
        rc = eyni_face_template_decode(tpl, tlen, emb, err);
        if (rc == 0)
            rc = eyni_gallery_add(id->watch->faces, row, emb, err);
    } else if (rc == 0 && position >= 0 && position < ID_POSITIONS) {
        eyni_finger_template *t = NULL;
        rc = eyni_finger_template_read(tpl, tlen, "watchlist template", &t, NULL, err);
        if (rc == 0)
            rc = eyni_finger_gallery_add(id->watch->fingers[position], row, t, err);
        eyni_finger_template_free(t);
    }
    free(tpl);
    if (rc)
        return eyni_error_prefix(err, "watchlist biometric %lld: ", row);
    id->watch->last = row;
    return 0;
}

int id_watch_sync(eyni_identity *id, eyni_error *err)
{
    if (!id->reg->keys)
        return 0; /* nothing can have been stored without a data key */
    eyni_db *db;
    int rc = eyni_store_acquire(id->reg->store, &db, err);
    if (rc)
        return rc;
    pthread_rwlock_wrlock(&id->watch->lock);
    eyni_stmt *st = NULL;
    rc = eyni_db_prepare(db,
                         "SELECT id, entry_id, modality, position, template FROM watch_biometrics"
                         " WHERE id > ? ORDER BY id",
                         &st, err);
    if (rc == 0)
        rc = eyni_stmt_bind_int64(st, 1, id->watch->last, err);
    while (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1)
        rc = load_one(id, st, err);
    eyni_stmt_free(st);
    pthread_rwlock_unlock(&id->watch->lock);
    eyni_store_release(id->reg->store, db);
    return rc < 0 ? rc : 0;
}

int id_watch_open(eyni_identity *id, eyni_error *err)
{
    id->watch = calloc(1, sizeof *id->watch);
    if (!id->watch)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    pthread_rwlock_init(&id->watch->lock, NULL);
    int rc = eyni_gallery_new(EYNI_FACE_DIM, &id->watch->faces, err);
    for (int p = 0; rc == 0 && p < ID_POSITIONS; p++)
        rc = eyni_finger_gallery_new(&id->watch->fingers[p], err);
    return rc ? rc : id_watch_sync(id, err);
}

void id_watch_close(eyni_identity *id)
{
    if (!id->watch)
        return;
    eyni_gallery_free(id->watch->faces);
    for (int p = 0; p < ID_POSITIONS; p++)
        eyni_finger_gallery_free(id->watch->fingers[p]);
    pthread_rwlock_destroy(&id->watch->lock);
    free(id->watch);
    id->watch = NULL;
}

size_t id_watch_size(eyni_identity *id)
{
    pthread_rwlock_rdlock(&id->watch->lock);
    size_t n = eyni_gallery_size(id->watch->faces);
    for (int p = 0; p < ID_POSITIONS; p++)
        n += eyni_finger_gallery_size(id->watch->fingers[p]);
    pthread_rwlock_unlock(&id->watch->lock);
    return n;
}

/* ---- adding biometrics to an entry -------------------------------------------------------- */

typedef struct add_arg {
    eyni_register *reg;
    const eyni_actor *a;
    const char *list;
    long long entry;
    const id_probe *p;
    const eyni_sample_in *s;
    int n;
} add_arg;

static int entry_check(eyni_db *db, const add_arg *x, eyni_error *err)
{
    eyni_stmt *st;
    int rc = eyni_db_prepare(db,
                             "SELECT w.owner_agency FROM watch_entries e"
                             " JOIN watchlists w ON w.id = e.list_id WHERE e.id = ? AND w.code = ?"
                             " AND e.kind = 'person' AND e.removed_at IS NULL",
                             &st, err);
    if (rc)
        return rc;
    rc = eyni_stmt_bind_int64(st, 1, x->entry, err);
    if (rc == 0)
        rc = eyni_stmt_bind_text(st, 2, x->list, err);
    if (rc == 0 && (rc = eyni_stmt_step(st, err)) == 0)
        rc = eyni_error_set(err, EYNI_ENOTFOUND, "no person entry %lld in force on list %s",
                            x->entry, x->list);
    else if (rc == 1)
        rc = !strcmp(eyni_stmt_text(st, 0), x->a->agency) || x->a->role == EYNI_ROLE_OPERATOR
                 ? 0
                 : eyni_error_set(err, EYNI_EPERM, "list %s belongs to another agency", x->list);
    eyni_stmt_free(st);
    return rc;
}

static int insert_one(eyni_db *db, const add_arg *x, int i, eyni_error *err)
{
    const id_probe *p = &x->p[i];
    char aad_t[96], aad_i[96], now[32];
    aad_of(aad_t, sizeof aad_t, x->entry, p->modality, p->position, 't');
    aad_of(aad_i, sizeof aad_i, x->entry, p->modality, p->position, 'i');
    eyni_time_now_iso(now);
    unsigned char *bt = NULL, *bi = NULL;
    size_t lt = 0, li = 0;
    eyni_stmt *st = NULL;
    int rc = eyni_keyring_seal(x->reg->keys, aad_t, strlen(aad_t), p->tpl, p->tlen, &bt, &lt, err);
    if (rc == 0)
        rc = eyni_keyring_seal(x->reg->keys, aad_i, strlen(aad_i), x->s[i].data, x->s[i].len, &bi,
                               &li, err);
    if (rc == 0)
        rc = eyni_db_prepare(db,
                             "INSERT INTO watch_biometrics (entry_id, modality, position, template,"
                             " image, created_at, created_by) VALUES (?,?,?,?,?,?,?) RETURNING id",
                             &st, err);
    long long id = 0;
    const char *tail[] = {now, x->a->id};
    if (rc == 0)
        rc = eyni_stmt_bind_int64(st, 1, x->entry, err);
    if (rc == 0)
        rc = eyni_stmt_bind_text(st, 2, p->modality, err);
    if (rc == 0)
        rc = eyni_stmt_bind_int64(st, 3, p->position, err);
    if (rc == 0)
        rc = eyni_stmt_bind_blob(st, 4, bt, lt, err);
    if (rc == 0)
        rc = eyni_stmt_bind_blob(st, 5, bi, li, err);
    if (rc == 0)
        rc = reg_bind_texts(st, 6, tail, 2, err);
    if (rc == 0)
        rc = reg_step_id(st, &id, err);
    eyni_stmt_free(st);
    free(bt);
    free(bi);
    return rc;
}

static int add_tx(eyni_db *db, void *arg, eyni_error *err)
{
    add_arg *x = arg;
    int rc = entry_check(db, x, err);
    for (int i = 0; rc == 0 && i < x->n; i++)
        rc = insert_one(db, x, i, err);
    char obj[48], detail[32];
    snprintf(obj, sizeof obj, "watch/%s/%lld", x->list, x->entry);
    snprintf(detail, sizeof detail, "%d samples", x->n);
    return rc ? rc : reg_audit_append(db, x->a, "watch.biometrics", obj, "ok", detail, err);
}

int eyni_border_watch_biometrics_add(eyni_identity *id, const eyni_actor *a, const char *list,
                                     long long entry, const eyni_sample_in *samples, int n,
                                     json_t **out, eyni_error *err)
{
    int rc = reg_require(id->reg, a, EYNI_OP_WATCH_MANAGE, list, err);
    if (rc == 0 && !id->reg->keys)
        rc = eyni_error_set(err, EYNI_ECRYPTO,
                            "no data key configured (crypto.keydir): "
                            "biometric data is only stored encrypted");
    id_probe *p = NULL;
    if (rc == 0)
        rc = id_probes_make(id, samples, n, &p, err);
    add_arg x = {id->reg, a, list, entry, p, samples, n};
    if (rc == 0)
        rc = reg_write_tx(id->reg, add_tx, &x, err);
    if (rc == 0)
        rc = id_watch_sync(id, err);
    json_t *quality = json_array();
    for (int i = 0; rc == 0 && i < n; i++)
        json_array_append(quality, p[i].report);
    id_probes_free(p, p ? n : 0);
    if (rc) {
        json_decref(quality);
        return rc;
    }
    *out = json_pack("{s:s, s:I, s:i, s:o}", "list", list, "entry", (json_int_t)entry, "added", n,
                     "quality", quality);
    return 0;
}

/* ---- search ------------------------------------------------------------------------------- */

typedef struct watch_hit {
    long long row;
    const char *modality;
    double evidence;
} watch_hit;

/* The entry behind a gallery row, when it is in force and the actor may see its list. */
static json_t *hit_row(eyni_stmt *st, void *ctx)
{
    json_error_t je;
    json_t *record = json_loads(eyni_stmt_text(st, 5), 0, &je);
    json_object_del(record, "variant_keys");
    return json_pack("{s:I, s:s, s:s, s:s?, s:s, s:o}", "entry", (json_int_t)eyni_stmt_int64(st, 0),
                     "list", eyni_stmt_text(st, 1), "list_name", eyni_stmt_text(st, 2), "handling",
                     eyni_stmt_text(st, 3), "legal_basis", eyni_stmt_text(st, 4), "record",
                     record ? record : json_null());
}

static int describe(eyni_identity *id, const eyni_actor *a, const watch_hit *h, json_t *hits,
                    eyni_error *err)
{
    char row[24], today[32];
    snprintf(row, sizeof row, "%lld", h->row);
    eyni_time_now_iso(today);
    today[10] = '\0';
    const char *vals[] = {row, today, today, a->agency, a->agency, eyni_role_name(a->role)};
    json_t *rows = NULL;
    int rc = reg_read_rows(id->reg,
                           "SELECT e.id, w.code, w.name, w.handling, w.legal_basis, e.record"
                           " FROM watch_biometrics b JOIN watch_entries e ON e.id = b.entry_id"
                           " JOIN watchlists w ON w.id = e.list_id"
                           " WHERE b.id = CAST(? AS INTEGER) AND e.removed_at IS NULL"
                           " AND w.valid_from <= ? AND (w.valid_to IS NULL OR w.valid_to >= ?)"
                           " AND " REG_WATCH_VISIBLE_SQL("w."),
                           vals, 6, hit_row, NULL, &rows, err);
    json_t *r = json_array_get(rows, 0);
    if (rc == 0 && r) {
        json_object_set_new(r, "modality", json_string(h->modality));
        json_object_set_new(r, "evidence", json_real(h->evidence));
        /* One line per entry: the strongest evidence wins. */
        size_t i;
        json_t *o;
        int seen = 0;
        json_array_foreach(hits, i, o)
        {
            if (json_integer_value(json_object_get(o, "entry")) ==
                json_integer_value(json_object_get(r, "entry")))
                seen = 1;
        }
        if (!seen)
            json_array_append(hits, r);
    }
    json_decref(rows);
    return rc;
}

static double bar_for(const eyni_identity *id, size_t n)
{
    double verify = -log10(id->opts.verify_fmr);
    double bar = n > 0 ? log10((double)n) + 2 : verify;
    bar = bar < verify ? verify : bar;
    return bar > EYNI_IDENTITY_EVIDENCE_MAX ? EYNI_IDENTITY_EVIDENCE_MAX : bar;
}

static int search_fingers(eyni_identity *id, const id_probe *p, int np, watch_hit *out, int *nh,
                          eyni_error *err)
{
    for (int i = 0; i < np; i++) {
        if (strcmp(p[i].modality, "finger") || p[i].position >= ID_POSITIONS)
            continue;
        eyni_finger_gallery *g = id->watch->fingers[p[i].position];
        eyni_finger_hit fh[WATCH_K];
        int n = 0;
        int rc = eyni_finger_gallery_search(g, p[i].finger, WATCH_K, 1, fh, &n, err);
        if (rc)
            return rc;
        double bar = bar_for(id, eyni_finger_gallery_size(g));
        for (int k = 0; k < n && *nh < 2 * WATCH_K * (ID_POSITIONS + 1); k++) {
            double ev = id_finger_evidence(fh[k].score);
            if (ev >= bar)
                out[(*nh)++] = (watch_hit){fh[k].id, "finger", ev};
        }
    }
    return 0;
}

int id_watch_search(eyni_identity *id, const eyni_actor *a, const float *face,
                    const id_probe *fingers, int nfingers, json_t **out, eyni_error *err)
{
    watch_hit hits[2 * WATCH_K * (ID_POSITIONS + 1)];
    int nh = 0, rc = 0;
    pthread_rwlock_rdlock(&id->watch->lock);
    if (face && eyni_gallery_size(id->watch->faces) > 0) {
        eyni_gallery_hit gh[WATCH_K];
        size_t n = 0;
        eyni_gallery_search_opts so = {id->opts.threads, EYNI_GALLERY_AUTO};
        rc = eyni_gallery_search(id->watch->faces, face, WATCH_K, &so, gh, &n, err);
        double bar = bar_for(id, eyni_gallery_size(id->watch->faces));
        for (size_t k = 0; rc == 0 && k < n; k++) {
            double ev = id_face_evidence(gh[k].score);
            if (ev >= bar)
                hits[nh++] = (watch_hit){gh[k].id, "face", ev};
        }
    }
    if (rc == 0)
        rc = search_fingers(id, fingers, nfingers, hits, &nh, err);
    pthread_rwlock_unlock(&id->watch->lock);
    json_t *list = json_array();
    for (int i = 0; rc == 0 && i < nh; i++)
        rc = describe(id, a, &hits[i], list, err);
    if (rc) {
        json_decref(list);
        return rc;
    }
    *out = list;
    return 0;
}
