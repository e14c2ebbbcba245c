/* Identification against a named gallery: the register (eyni_identity_identify) or the
 * biometrics of watchlist entries - one list by its code, or every list the caller may see.
 * Watchlist entries need not be registered persons, so a candidate is an entry, scored by
 * its strongest single comparison (the evidence the border check uses). */
#include <stdlib.h>
#include <string.h>

#include "identity_int.h"

static int on_list(const json_t *hit, const char *gallery)
{
    return !strcmp(gallery, "watchlists") ||
           !strcmp(json_string_value(json_object_get(hit, "list")), gallery);
}

/* Best first: the watch search keeps one line per entry, in gallery order. */
static int by_score(const void *a, const void *b)
{
    double x = json_real_value(json_object_get(*(json_t *const *)a, "score"));
    double y = json_real_value(json_object_get(*(json_t *const *)b, "score"));
    return (x < y) - (x > y);
}

static json_t *candidates(json_t *hits, const char *gallery, int top, double min_score)
{
    size_t n = json_array_size(hits), k = 0;
    json_t **v = calloc(n ? n : 1, sizeof *v);
    json_t *out = json_array();
    for (size_t i = 0; v && i < n; i++) {
        json_t *h = json_array_get(hits, i);
        double ev = json_real_value(json_object_get(h, "evidence"));
        if (!on_list(h, gallery) || ev < min_score)
            continue;
        json_t *c = json_deep_copy(h);
        json_object_set_new(c, "score", json_real(ev));
        json_object_set_new(
            c, "scores", json_pack("{s:f}", json_string_value(json_object_get(h, "modality")), ev));
        json_object_del(c, "evidence");
        v[k++] = c;
    }
    if (k)
        qsort(v, k, sizeof *v, by_score);
    for (size_t i = 0; i < k; i++) {
        if (i < (size_t)top)
            json_array_append(out, v[i]);
        json_decref(v[i]);
    }
    free(v);
    return out;
}

/* ENOTFOUND unless gallery is "watchlists" or a list the caller may see. */
static int list_visible(eyni_identity *id, const eyni_actor *a, const char *gallery,
                        eyni_error *err)
{
    if (!strcmp(gallery, "watchlists"))
        return 0;
    json_t *lists = NULL;
    int rc = eyni_register_watchlist_list(id->reg, a, &lists, err), found = 0;
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(lists, "watchlists"), i, l)
    {
        found |= !strcmp(json_string_value(json_object_get(l, "code")), gallery);
    }
    json_decref(lists);
    return rc || found ? rc
                       : eyni_error_set(err, EYNI_ENOTFOUND,
                                        "no gallery '%.64s': 'register', 'watchlists' or the code "
                                        "of a watchlist you may see",
                                        gallery);
}

static int watch_identify(eyni_identity *id, const eyni_actor *a, const char *gallery,
                          const eyni_sample_in *s, int n, int top, double min_score, json_t **out,
                          eyni_error *err)
{
    char object[96];
    snprintf(object, sizeof object, "gallery:%.64s", gallery);
    int rc = reg_require(id->reg, a, EYNI_OP_MATCH, object, err);
    if (rc == 0)
        rc = list_visible(id, a, gallery, err);
    id_probe *p = NULL;
    if (rc == 0)
        rc = id_probes_make(id, s, n, &p, err);
    if (rc)
        return rc;
    const float *face = NULL;
    for (int i = 0; i < n && !face; i++)
        if (!strcmp(p[i].modality, "face"))
            face = p[i].emb;
    json_t *hits = NULL;
    rc = id_watch_sync(id, err);
    if (rc == 0)
        rc = id_watch_search(id, a, face, p, n, &hits, err);
    json_t *kept = rc == 0 ? candidates(hits, gallery, top, min_score) : NULL;
    char detail[32];
    snprintf(detail, sizeof detail, "%zu candidates", json_array_size(kept));
    if (rc == 0)
        rc = eyni_register_audit_event(id->reg, a, "match.identify", object, "ok", detail, err);
    if (rc == 0)
        *out = json_pack("{s:s, s:O, s:i}", "gallery", gallery, "candidates", kept, "count",
                         (int)json_array_size(kept));
    json_decref(kept);
    json_decref(hits);
    id_probes_free(p, n);
    return rc;
}

int eyni_identity_identify_gallery(eyni_identity *id, const eyni_actor *a, const char *gallery,
                                   const eyni_sample_in *s, int n, int top, double min_score,
                                   json_t **out, eyni_error *err)
{
    if (!gallery || !strcmp(gallery, "register")) {
        int rc = eyni_identity_identify(id, a, s, n, top, min_score, out, err);
        if (rc == 0)
            json_object_set_new(*out, "gallery", json_string("register"));
        return rc;
    }
    size_t len = strlen(gallery);
    if (len == 0 || len > 64 || !eyni_utf8_valid(gallery, len))
        return eyni_error_set(err, EYNI_EFORMAT,
                              "gallery must be 'register', 'watchlists' or a "
                              "watchlist code");
    if (top < 1 || top > 100)
        return eyni_error_set(err, EYNI_EINVAL, "top must be 1..100");
    return watch_identify(id, a, gallery, s, n, top, min_score, out, err);
}
