/* Identification across gallery shards: the shards this node does not hold are searched by
 * the live nodes that hold them (POST /v1/node/search, in parallel, authenticated with this
 * node's key of role node). Each shard goes to one holder; when a holder fails or times
 * out, its shards go to another holder in the next round; shards nobody could search are
 * named to the caller, never dropped in silence. */
#include <curl/curl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "identity_int.h"

#define REPLY_MAX  (8u * 1024 * 1024) /* bytes of one peer's answer */
#define HITS_MAX   4096               /* hits in one peer's answer */
#define MAX_ROUNDS 8

/* ---- checking a peer's answer (outside data) ------------------------------------------ */

static int score_ok(const json_t *v)
{
    return json_is_number(v) && isfinite(json_number_value(v)) && fabs(json_number_value(v)) <= 1e6;
}

static int fin_ok(const char *fin)
{
    size_t n = fin ? strlen(fin) : 0;
    if (n == 0 || n > EYNI_FIN_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((fin[i] >= '0' && fin[i] <= '9') || (fin[i] >= 'A' && fin[i] <= 'Z')))
            return 0;
    return 1;
}

static int finger_ok(const json_t *f)
{
    const char *k;
    const json_t *v;
    if (!json_is_object(f))
        return 0;
    json_object_foreach((json_t *)f, k, v)
    {
        char *end;
        long p = strtol(k, &end, 10);
        if (*end || end == k || p < 1 || p >= ID_POSITIONS || !score_ok(v))
            return 0;
    }
    return 1;
}

static int hit_ok(const json_t *h)
{
    static const char *const keys[] = {"fin", "face", "finger", "voice", NULL};
    eyni_error ignore;
    if (!json_is_object(h) || eyni_json_check_keys(h, keys, &ignore) ||
        !fin_ok(json_string_value(json_object_get(h, "fin"))))
        return 0;
    const json_t *face = json_object_get(h, "face"), *voice = json_object_get(h, "voice"),
                 *finger = json_object_get(h, "finger");
    return (!face || score_ok(face)) && (!voice || score_ok(voice)) &&
           (!finger || finger_ok(finger));
}

int eyni_identity_peer_reply_check(const char *body, size_t len, int shards,
                                   const unsigned char *asked, unsigned char *searched,
                                   json_t **hits, eyni_error *err)
{
    static const char *const keys[] = {"shards", "hits", "last_change", NULL};
    if (shards < 1 || shards > EYNI_IDENTITY_MAX_SHARDS)
        return eyni_error_set(err, EYNI_EINVAL, "shard count %d not in 1..%d", shards,
                              EYNI_IDENTITY_MAX_SHARDS);
    if (len > REPLY_MAX)
        return eyni_error_set(err, EYNI_ELIMIT, "peer answer of %zu bytes exceeds %u", len,
                              REPLY_MAX);
    json_t *doc = NULL;
    int rc = eyni_json_parse_object(body, len, &doc, err);
    if (rc == 0)
        rc = eyni_json_check_keys(doc, keys, err);
    const json_t *sh = json_object_get(doc, "shards"), *hs = json_object_get(doc, "hits");
    if (rc == 0 && (!json_is_array(sh) || !json_is_array(hs) ||
                    json_array_size(sh) > (size_t)shards || json_array_size(hs) > HITS_MAX))
        rc = eyni_error_set(err, EYNI_EFORMAT,
                            "peer answer needs 'shards' (at most %d) and 'hits' (at most %d)",
                            shards, HITS_MAX);
    unsigned char *got = rc == 0 ? calloc((size_t)shards, 1) : NULL;
    if (rc == 0 && !got)
        rc = eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    size_t i;
    const json_t *v;
    json_array_foreach(rc == 0 ? sh : NULL, i, v)
    {
        json_int_t s = json_is_integer(v) ? json_integer_value(v) : -1;
        if (s < 0 || s >= shards || !asked[s] || got[s]) {
            rc = eyni_error_set(err, EYNI_EFORMAT, "peer answer: shard %zu was not asked for", i);
            break;
        }
        got[s] = 1;
    }
    json_array_foreach(rc == 0 ? hs : NULL, i, v)
    {
        if (!hit_ok(v)) {
            rc = eyni_error_set(err, EYNI_EFORMAT, "peer answer: hit %zu is malformed", i);
            break;
        }
    }
    if (rc == 0) {
        for (int s = 0; s < shards; s++)
            searched[s] |= got[s];
        *hits = json_incref((json_t *)hs);
    }
    free(got);
    json_decref(doc);
    return rc;
}

/* ---- calling the peers ----------------------------------------------------------------- */

typedef struct call {
    CURL *h;
    struct curl_slist *hdr;
    char *body;
    char *reply;
    size_t len;
    int too_big;
    int peer;
    unsigned char *asked;
    CURLcode res; /* of the transfer; CURLE_OK when an answer came */
} call;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
    call *c = arg;
    size_t n = size * nmemb;
    if (c->len + n > REPLY_MAX) {
        c->too_big = 1;
        return 0;
    }
    char *r = realloc(c->reply, c->len + n + 1);
    if (!r)
        return 0;
    memcpy(r + c->len, ptr, n);
    c->len += n;
    r[c->len] = '\0';
    c->reply = r;
    return n;
}

/* The samples as a peer's /v1/node/search reads them (the same form as /v1/identify). */
static int samples_json(const eyni_sample_in *s, int n, json_t **out, eyni_error *err)
{
    json_t *arr = json_array();
    for (int i = 0; i < n; i++) {
        char *b64 = NULL;
        int rc = eyni_base64_encode(s[i].data, s[i].len, &b64, err);
        if (rc) {
            json_decref(arr);
            return rc;
        }
        int voice = !strcmp(s[i].modality, "voice");
        json_array_append_new(arr,
                              json_pack("{s:s, s:i, s:s}", "modality", s[i].modality, "position",
                                        s[i].position, voice ? "audio" : "image", b64));
        free(b64);
    }
    *out = arr;
    return 0;
}

static void call_free(call *c)
{
    if (c->h)
        curl_easy_cleanup(c->h);
    curl_slist_free_all(c->hdr);
    free(c->body);
    free(c->reply);
    free(c->asked);
}

typedef struct fanout {
    eyni_identity *id;
    const eyni_actor *a;
    json_t *samples;
    id_peer *peers;
    int npeers;
    unsigned char *covered; /* shards searched (locally or by a peer) */
    json_t *hits;
} fanout;

static int call_setup(fanout *f, call *c, eyni_error *err)
{
    json_t *sh = json_array();
    for (int s = 0; s < f->id->shards; s++)
        if (c->asked[s])
            json_array_append_new(sh, json_integer(s));
    char who[160];
    snprintf(who, sizeof who, "%s@%s", f->a->id, f->a->agency);
    json_t *req = json_pack("{s:o, s:O, s:s}", "shards", sh, "samples", f->samples, "for", who);
    c->body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    char url[ID_URL_MAX + 32], auth[EYNI_KEY_TOKEN_MAX + 32], purpose[EYNI_TEXT_MAX + 16];
    snprintf(url, sizeof url, "%s/v1/node/search", f->peers[c->peer].url);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", f->id->opts.node_key);
    snprintf(purpose, sizeof purpose, "X-Purpose: %s", f->a->purpose);
    c->h = curl_easy_init();
    c->hdr = curl_slist_append(NULL, "Content-Type: application/json");
    c->hdr = c->hdr ? curl_slist_append(c->hdr, auth) : NULL;
    c->hdr = c->hdr ? curl_slist_append(c->hdr, purpose) : NULL;
    if (!c->body || !c->h || !c->hdr)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory calling peer nodes");
    curl_easy_setopt(c->h, CURLOPT_URL, url);
    curl_easy_setopt(c->h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->hdr);
    curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, c->body);
    curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, (long)f->id->opts.peer_timeout_ms);
    curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT_MS, (long)f->id->opts.peer_timeout_ms);
    curl_easy_setopt(c->h, CURLOPT_PROTOCOLS_STR, "http,https");
    return 0;
}

/* Runs the calls of one round at once; bounded by the peer timeout. */
static void run_calls(call *c, int n)
{
    CURLM *m = curl_multi_init();
    if (!m)
        return;
    for (int i = 0; i < n; i++)
        curl_multi_add_handle(m, c[i].h);
    int running = 1;
    while (running) {
        if (curl_multi_perform(m, &running) != CURLM_OK)
            break;
        if (running && curl_multi_poll(m, NULL, 0, 100, NULL) != CURLM_OK)
            break;
    }
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(m, &left)))
        for (int i = 0; i < n; i++)
            if (msg->msg == CURLMSG_DONE && msg->easy_handle == c[i].h)
                c[i].res = msg->data.result;
    for (int i = 0; i < n; i++)
        curl_multi_remove_handle(m, c[i].h);
    curl_multi_cleanup(m);
}

/* Folds one finished call into the fan-out; a peer that failed is not asked again. */
static void take_answer(fanout *f, call *c)
{
    id_peer *p = &f->peers[c->peer];
    long status = 0;
    curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
    eyni_error err;
    json_t *hits = NULL;
    unsigned char *searched = calloc((size_t)f->id->shards, 1);
    int rc = !searched            ? eyni_error_set(&err, EYNI_ENOMEM, "out of memory")
             : c->res != CURLE_OK ? eyni_error_set(&err, EYNI_EIO, "%s", curl_easy_strerror(c->res))
             : status != 200
                 ? eyni_error_set(&err, EYNI_EIO, "answered %ld%s%.200s", status,
                                  c->too_big ? " (too long)" : ": ", c->reply ? c->reply : "")
                 : eyni_identity_peer_reply_check(c->reply ? c->reply : "", c->len, f->id->shards,
                                                  c->asked, searched, &hits, &err);
    if (rc) {
        p->failed = 1;
        eyni_log_write(f->id->opts.log, EYNI_LOG_WARN, "shard", "node %s: %s", p->url, err.msg);
    } else {
        for (int s = 0; s < f->id->shards; s++) {
            f->covered[s] |= searched[s];
            if (c->asked[s] && !searched[s])
                p->held[s] = 0; /* its shards changed since its last heartbeat */
        }
        json_array_extend(f->hits, hits);
    }
    json_decref(hits);
    free(searched);
}

/* Picks, greedily, the live peer holding most of the shards still to search, and so on:
 * every shard goes to one holder per round. Returns the number of calls planned. */
static int plan(fanout *f, call *c, eyni_error *err)
{
    int S = f->id->shards, n = 0;
    unsigned char *taken = calloc((size_t)S, 1), *used = calloc((size_t)f->npeers + 1, 1);
    int rc = taken && used ? 0 : eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    while (rc == 0) {
        int best = -1, best_n = 0;
        for (int p = 0; p < f->npeers; p++) {
            int k = 0;
            for (int s = 0; !f->peers[p].failed && !used[p] && s < S; s++)
                k += !f->covered[s] && !taken[s] && f->peers[p].held[s];
            if (k > best_n) {
                best = p;
                best_n = k;
            }
        }
        if (best < 0)
            break;
        used[best] = 1;
        c[n].peer = best;
        c[n].asked = calloc((size_t)S, 1);
        if (!c[n].asked) {
            rc = eyni_error_set(err, EYNI_ENOMEM, "out of memory");
            break;
        }
        for (int s = 0; s < S; s++)
            if (!f->covered[s] && !taken[s] && f->peers[best].held[s])
                c[n].asked[s] = taken[s] = 1;
        n++;
    }
    free(taken);
    free(used);
    return rc ? rc : n;
}

static int round_run(fanout *f, eyni_error *err)
{
    call *c = calloc((size_t)f->npeers + 1, sizeof *c);
    if (!c)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    int n = plan(f, c, err), rc = n < 0 ? n : 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        c[i].res = CURLE_FAILED_INIT; /* until the transfer reports */
        rc = call_setup(f, &c[i], err);
    }
    if (rc == 0 && n > 0) {
        run_calls(c, n);
        for (int i = 0; i < n; i++)
            take_answer(f, &c[i]);
    }
    for (int i = 0; i < f->npeers + 1; i++)
        call_free(&c[i]);
    free(c);
    return rc ? rc : n;
}

int id_fanout(eyni_identity *id, const eyni_actor *a, const eyni_sample_in *s, int n, json_t **hits,
              json_t **not_searched, eyni_error *err)
{
    fanout f = {id, a, NULL, NULL, 0, calloc((size_t)id->shards, 1), json_array()};
    int rc = f.covered ? 0 : eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    if (rc == 0)
        memcpy(f.covered, id->held, (size_t)id->shards);
    int need = 0;
    for (int k = 0; rc == 0 && k < id->shards; k++)
        need |= !f.covered[k];
    if (rc == 0 && need)
        rc = samples_json(s, n, &f.samples, err);
    if (rc == 0 && need)
        rc = id_peers_live(id, &f.peers, &f.npeers, err);
    for (int r = 0; rc == 0 && need && r < MAX_ROUNDS; r++) {
        int calls = round_run(&f, err);
        rc = calls < 0 ? calls : 0;
        if (calls <= 0)
            break;
    }
    json_t *missing = json_array();
    for (int k = 0; rc == 0 && k < id->shards; k++)
        if (!f.covered[k])
            json_array_append_new(missing, json_integer(k));
    id_peers_free(f.peers, f.npeers);
    json_decref(f.samples);
    free(f.covered);
    if (rc) {
        json_decref(missing);
        json_decref(f.hits);
        return rc;
    }
    *hits = f.hits;
    *not_searched = missing;
    return 0;
}
