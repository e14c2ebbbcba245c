/* The identity service object: engines, galleries rebuilt from the register's change log,
 * and the owner table that maps gallery entries back to FINs. */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "identity_int.h"

/* The first owner whose biometric id is not below biometric (the owners are sorted). */
static size_t owner_at(const eyni_identity *id, int64_t biometric)
{
    size_t lo = 0, hi = id->n_owners;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (id->owners[mid].biometric < biometric)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const char *id_owner_of(const eyni_identity *id, int64_t biometric)
{
    size_t lo = owner_at(id, biometric);
    return lo < id->n_owners && id->owners[lo].biometric == biometric ? id->owners[lo].fin : NULL;
}

static int add_owner(eyni_identity *id, int64_t biometric, const char *fin, char modality)
{
    if (id->n_owners && id->owners[id->n_owners - 1].biometric >= biometric)
        return EYNI_EINTERNAL; /* the change log is ordered; anything else is a bug */
    if (id->n_owners == id->cap_owners) {
        size_t cap = id->cap_owners ? id->cap_owners * 2 : 1024;
        id_owner *o = realloc(id->owners, cap * sizeof *o);
        if (!o)
            return EYNI_ENOMEM;
        id->owners = o;
        id->cap_owners = cap;
    }
    id_owner *o = &id->owners[id->n_owners++];
    o->biometric = biometric;
    o->modality = modality;
    snprintf(o->fin, sizeof o->fin, "%s", fin);
    return 0;
}

/* Drops a gallery entry's owner; 0 when it had none (never applied, or another shard's). */
static int drop_owner(eyni_identity *id, int64_t biometric)
{
    size_t lo = owner_at(id, biometric);
    if (lo == id->n_owners || id->owners[lo].biometric != biometric)
        return 0;
    memmove(&id->owners[lo], &id->owners[lo + 1], (id->n_owners - lo - 1) * sizeof *id->owners);
    id->n_owners--;
    return 1;
}

/* Takes a re-captured or erased sample out of its gallery. A voice sample is pooled into
 * its owner's reference, which is pooled again from the samples still in force once the
 * change log has been read (id_voice_refresh). */
static int remove_change(eyni_identity *id, long long bio, const char *fin, const char *modality,
                         int position, eyni_error *err)
{
    if (!drop_owner(id, bio))
        return 0;
    if (!strcmp(modality, "face"))
        return eyni_gallery_remove(id->faces, bio, err);
    if (!strcmp(modality, "finger") && position >= 0 && position < ID_POSITIONS)
        return eyni_finger_gallery_remove(id->fingers[position], bio, err);
    if (!strcmp(modality, "voice"))
        return id_voice_stale(id, fin, err);
    return 0;
}

/* Applies one change of the log to the galleries. */
static int apply_change(long long change, const char *op, long long bio, const char *fin,
                        const char *modality, int position, const unsigned char *tpl, size_t tlen,
                        void *ctx)
{
    eyni_identity *id = ctx;
    eyni_error err;
    int rc = 0;
    if (!strcmp(op, "remove")) {
        rc = remove_change(id, bio, fin, modality, position, &err);
        if (rc)
            eyni_log_write(id->opts.log, EYNI_LOG_ERROR, "gallery", "change %lld (removal): %s",
                           change, err.msg);
        return rc;
    }
    if (strcmp(op, "add") != 0)
        return EYNI_EINTERNAL;
    if (!strcmp(modality, "face")) {
        float emb[EYNI_FACE_DIM];
        rc = eyni_face_template_decode(tpl, tlen, emb, &err);
        if (rc == 0)
            rc = eyni_gallery_add(id->faces, bio, emb, &err);
    } else if (!strcmp(modality, "finger") && position >= 0 && position < ID_POSITIONS) {
        eyni_finger_template *t = NULL;
        rc = eyni_finger_template_read(tpl, tlen, fin, &t, NULL, &err);
        if (rc == 0)
            rc = eyni_finger_gallery_add(id->fingers[position], bio, t, &err);
        eyni_finger_template_free(t);
    } else if (!strcmp(modality, "voice")) {
        rc = id_voice_add(id, fin, tpl, tlen, &err);
    } else {
        return 0; /* DNA has its own service */
    }
    if (rc == 0)
        rc = add_owner(id, bio, fin, modality[0]);
    if (rc)
        eyni_log_write(id->opts.log, EYNI_LOG_ERROR, "gallery", "change %lld (%s of %s): %s",
                       change, modality, fin, err.msg);
    return rc;
}

/* With sharding a node loads the samples of its own shards only. */
static int keep_change(const char *fin, void *ctx)
{
    return id_shard_mine(ctx, fin);
}

int eyni_identity_sync(eyni_identity *id, eyni_error *err)
{
    pthread_rwlock_wrlock(&id->lock);
    long long last = id->last_change;
    int rc = reg_changes_each(id->reg, id->last_change, keep_change, apply_change, id, &last, err);
    id->last_change = last;
    if (rc == 0)
        rc = id_voice_refresh(id, err);
    pthread_rwlock_unlock(&id->lock);
    return rc ? rc : id_watch_sync(id, err);
}

static int open_engines(eyni_identity *id, eyni_error *err)
{
    eyni_face_opts fo;
    memset(&fo, 0, sizeof fo);
    fo.model_dir = id->opts.model_dir;
    int rc = eyni_onnx_env_new("eyni-identity", &id->env, err);
    if (rc == 0)
        rc = eyni_face_engine_new(id->env, &fo, &id->face, err);
    if (rc == 0)
        rc = eyni_gallery_new(EYNI_FACE_DIM, &id->faces, err);
    for (int p = 0; rc == 0 && p < ID_POSITIONS; p++)
        rc = eyni_finger_gallery_new(&id->fingers[p], err);
    if (rc == 0)
        rc = id_voice_open(id, err);
    return rc;
}

int eyni_identity_open(eyni_register *reg, const eyni_identity_opts *o, eyni_identity **out,
                       eyni_error *err)
{
    eyni_identity *id = calloc(1, sizeof *id);
    if (!id)
        return eyni_error_set(err, EYNI_ENOMEM, "identity: out of memory");
    id->reg = reg;
    if (o)
        id->opts = *o;
    if (id->opts.threads <= 0)
        id->opts.threads = 2;
    if (id->opts.duplicate_at <= 0)
        id->opts.duplicate_at = 9.0;
    if (id->opts.possible_at <= 0)
        id->opts.possible_at = 5.5;
    if (id->opts.verify_fmr <= 0)
        id->opts.verify_fmr = 1e-4;
    if (id->opts.finger_min_quality <= 0)
        id->opts.finger_min_quality = 20;
    pthread_rwlock_init(&id->lock, NULL);
    pthread_mutex_init(&id->enrol, NULL);
    int rc = id_shard_open(id, err);
    if (rc == 0 && id->shards > 1 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        rc = eyni_error_set(err, EYNI_ENOMEM, "identity: cannot initialise libcurl");
    id->curl = rc == 0 && id->shards > 1;
    if (rc == 0)
        rc = open_engines(id, err);
    if (rc == 0)
        rc = id_watch_open(id, err);
    if (rc == 0)
        rc = eyni_identity_sync(id, err);
    if (rc) {
        eyni_identity_close(id);
        return rc;
    }
    eyni_log_write(id->opts.log, EYNI_LOG_INFO, "gallery",
                   "%zu face, %zu voice and %zu samples "
                   "in all loaded up to change %lld",
                   eyni_gallery_size(id->faces), id->n_voices, id->n_owners, id->last_change);
    if (id->shards > 1) {
        char held[4200];
        id_shards_text(id->held, id->shards, held, sizeof held);
        eyni_log_write(id->opts.log, EYNI_LOG_INFO, "shard", "gallery shards %s of %d loaded", held,
                       id->shards);
    }
    if (id->voice_unusable)
        eyni_log_write(id->opts.log, EYNI_LOG_WARN, "voice",
                       "%zu stored voice samples were "
                       "made under another speaker model (or none is loaded) and are not "
                       "searched",
                       id->voice_unusable);
    *out = id;
    return 0;
}

void eyni_identity_close(eyni_identity *id)
{
    if (!id)
        return;
    id_node_leave(id);
    if (id->curl)
        curl_global_cleanup();
    id_watch_close(id);
    eyni_gallery_free(id->faces);
    for (int p = 0; p < ID_POSITIONS; p++)
        eyni_finger_gallery_free(id->fingers[p]);
    id_voice_close(id);
    eyni_face_engine_free(id->face);
    eyni_onnx_env_free(id->env);
    free(id->owners);
    pthread_rwlock_destroy(&id->lock);
    pthread_mutex_destroy(&id->enrol);
    free(id);
}

json_t *eyni_identity_stats(eyni_identity *id)
{
    json_t *shard = NULL;
    if (id->shards > 1) {
        char held[4200];
        id_shards_text(id->held, id->shards, held, sizeof held);
        shard = json_pack("{s:i, s:s}", "count", id->shards, "held", held);
    }
    pthread_rwlock_rdlock(&id->lock);
    size_t fingers = 0;
    for (int p = 0; p < ID_POSITIONS; p++)
        fingers += eyni_finger_gallery_size(id->fingers[p]);
    json_t *s = json_pack("{s:I, s:I, s:I, s:b, s:I, s:I, s:I}", "face",
                          (json_int_t)eyni_gallery_size(id->faces), "finger", (json_int_t)fingers,
                          "voice", (json_int_t)id->n_voices, "voice_model", id->voice != NULL,
                          "voice_unusable", (json_int_t)id->voice_unusable, "samples",
                          (json_int_t)id->n_owners, "last_change", (json_int_t)id->last_change);
    pthread_rwlock_unlock(&id->lock);
    json_object_set_new(s, "watchlist_samples", json_integer((json_int_t)id_watch_size(id)));
    if (shard)
        json_object_set_new(s, "shards", shard);
    return s;
}

int eyni_identity_opts_from_config(const eyni_config *cfg, eyni_identity_opts *o, eyni_error *err)
{
    static const char *const keys[] = {"identity.duplicate_at", "identity.possible_at",
                                       "identity.verify_fmr"};
    double *dst[] = {&o->duplicate_at, &o->possible_at, &o->verify_fmr};
    for (int i = 0; i < 3; i++) {
        const char *v = eyni_config_get(cfg, keys[i], NULL);
        if (!v)
            continue;
        char *end;
        double d = strtod(v, &end);
        if (*end || end == v || d <= 0 || (i == 2 && d >= 1))
            return eyni_error_set(err, EYNI_EINVAL, "config %s = '%.32s' is not a valid number",
                                  keys[i], v);
        *dst[i] = d;
    }
    long long q, t;
    int rc = eyni_config_get_int(cfg, "identity.finger_min_quality", 20, 1, 100, &q, err);
    if (rc == 0)
        rc = eyni_config_get_int(cfg, "identity.threads", 2, 1, 64, &t, err);
    long long shards = 1, timeout = 5000, ttl = 5000;
    if (rc == 0)
        rc = eyni_config_get_int(cfg, "gallery.shards", 1, 1, EYNI_IDENTITY_MAX_SHARDS, &shards,
                                 err);
    if (rc == 0)
        rc = eyni_config_get_int(cfg, "gallery.peer_timeout_ms", 5000, 10, 600000, &timeout, err);
    if (rc == 0)
        rc = eyni_config_get_int(cfg, "gallery.node_ttl_ms", 5000, 100, 600000, &ttl, err);
    if (rc == 0) {
        o->shards = (int)shards;
        o->node_shards = eyni_config_get(cfg, "gallery.node_shards", NULL);
        o->peer_timeout_ms = (int)timeout;
        o->node_ttl_ms = (int)ttl;
        o->finger_min_quality = (int)q;
        o->threads = (int)t;
        o->model_dir = eyni_config_get(cfg, "models.dir", NULL);
        o->csca_cert = eyni_config_get(cfg, "pki.csca_cert", NULL);
        o->voice_model = eyni_config_get(cfg, "voice.model", NULL);
        o->voice_vad = eyni_config_get(cfg, "voice.vad", "energy");
        if (strcmp(o->voice_vad, "energy") && strcmp(o->voice_vad, "silero"))
            rc = eyni_error_set(err, EYNI_EINVAL,
                                "config voice.vad = '%.32s' is not energy or "
                                "silero",
                                o->voice_vad);
    }
    return rc;
}
