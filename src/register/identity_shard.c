/* Gallery shards: which shard a FIN belongs to, the set of shards this node holds, and the
 * `nodes` table where every node of a sharded deployment announces the address its peers
 * call, the shards it holds and a heartbeat. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "identity_int.h"

struct id_node {
    eyni_identity *id;
    char url[ID_URL_MAX];
    char shards[4200]; /* canonical text of the held set */
    char started[32];
    int beat_ms;
    atomic_int stop;
    pthread_t thread;
};

int eyni_identity_shard_of(const char *fin, int shards)
{
    unsigned char h[32];
    eyni_sha256(fin, strlen(fin), h);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | h[i];
    return shards > 1 ? (int)(v % (uint64_t)shards) : 0;
}

/* A shard number of at most 4 digits; *s moves past it. */
static int read_num(const char **s, long *out)
{
    const char *p = *s;
    while (*p == ' ')
        p++;
    long v = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 5) {
        v = v * 10 + (*p++ - '0');
        digits++;
    }
    if (digits == 0 || digits > 4)
        return -1;
    while (*p == ' ')
        p++;
    *s = p;
    *out = v;
    return 0;
}

int eyni_identity_shards_parse(const char *text, int shards, unsigned char *held, eyni_error *err)
{
    if (shards < 1 || shards > EYNI_IDENTITY_MAX_SHARDS)
        return eyni_error_set(err, EYNI_EINVAL, "shard count %d not in 1..%d", shards,
                              EYNI_IDENTITY_MAX_SHARDS);
    memset(held, 0, (size_t)shards);
    if (!text || !*text || strlen(text) > 4096)
        return eyni_error_set(err, EYNI_EFORMAT, "shard set must be 1..4096 characters");
    const char *s = text;
    for (;;) {
        long lo, hi;
        if (read_num(&s, &lo))
            return eyni_error_set(err, EYNI_EFORMAT, "shard set '%.40s': no shard number at '%.8s'",
                                  text, s);
        hi = lo;
        if (*s == '-') {
            s++;
            if (read_num(&s, &hi))
                return eyni_error_set(err, EYNI_EFORMAT,
                                      "shard set '%.40s': range without an end at '%.8s'", text, s);
        }
        if (lo > hi || hi >= shards)
            return eyni_error_set(err, EYNI_EFORMAT,
                                  "shard set '%.40s': %ld-%ld is not a range within 0..%d", text,
                                  lo, hi, shards - 1);
        for (long k = lo; k <= hi; k++) {
            if (held[k])
                return eyni_error_set(err, EYNI_EFORMAT, "shard set '%.40s': shard %ld twice", text,
                                      k);
            held[k] = 1;
        }
        if (*s == '\0')
            return 0;
        if (*s++ != ',')
            return eyni_error_set(err, EYNI_EFORMAT,
                                  "shard set '%.40s': expected ',' or '-' at '%.8s'", text, s - 1);
    }
}

void id_shards_text(const unsigned char *set, int shards, char *out, size_t cap)
{
    size_t off = 0;
    out[0] = '\0';
    for (int s = 0; s < shards && off < cap; s++) {
        if (!set[s])
            continue;
        int e = s;
        while (e + 1 < shards && set[e + 1])
            e++;
        int w = e > s ? snprintf(out + off, cap - off, "%s%d-%d", off ? "," : "", s, e)
                      : snprintf(out + off, cap - off, "%s%d", off ? "," : "", s);
        off += (size_t)w;
        s = e;
    }
}

void id_missing_text(const eyni_identity *id, const json_t *missing, char *out, size_t cap)
{
    unsigned char set[EYNI_IDENTITY_MAX_SHARDS] = {0};
    size_t i;
    const json_t *v;
    json_array_foreach(missing, i, v)
    {
        json_int_t k = json_integer_value(v);
        if (k >= 0 && k < EYNI_IDENTITY_MAX_SHARDS)
            set[k] = 1;
    }
    id_shards_text(set, id->shards, out, cap);
}

int id_shard_open(eyni_identity *id, eyni_error *err)
{
    int n = id->opts.shards;
    if (n <= 1)
        return 0;
    if (n > EYNI_IDENTITY_MAX_SHARDS)
        return eyni_error_set(err, EYNI_EINVAL, "config gallery.shards = %d is not in 1..%d", n,
                              EYNI_IDENTITY_MAX_SHARDS);
    const char *engine = eyni_store_engine(eyni_register_store(id->reg));
    if (strcmp(engine, "postgresql") != 0)
        return eyni_error_set(err, EYNI_EINVAL,
                              "config gallery.shards = %d needs store.uri = postgresql://...: "
                              "nodes holding shards share one PostgreSQL database (this store is "
                              "%s)",
                              n, engine);
    if (!id->opts.node_key || !id->opts.node_key[0])
        return eyni_error_set(err, EYNI_EINVAL,
                              "config gallery.shards = %d needs gallery.node_key: the file with "
                              "an API key of role node that this node calls its peers with",
                              n);
    id->shards = n;
    int rc = id->opts.node_shards
                 ? eyni_identity_shards_parse(id->opts.node_shards, n, id->held, err)
                 : 0;
    if (!id->opts.node_shards)
        memset(id->held, 1, (size_t)n);
    if (rc)
        return eyni_error_prefix(err, "config gallery.node_shards: ");
    if (id->opts.peer_timeout_ms <= 0)
        id->opts.peer_timeout_ms = 5000;
    if (id->opts.node_ttl_ms <= 0)
        id->opts.node_ttl_ms = 5000;
    return 0;
}

int id_shard_mine(const eyni_identity *id, const char *fin)
{
    return id->shards <= 1 || id->held[eyni_identity_shard_of(fin, id->shards)];
}

long long id_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One statement outside a transaction: the row is this node's own, so it needs neither
 * the cluster-wide write lock nor an order with other writes. */
static int node_exec(eyni_identity *id, const char *sql, const char *const *texts, int nt,
                     const long long *ints, int ni, eyni_error *err)
{
    eyni_store *store = eyni_register_store(id->reg);
    eyni_db *db = NULL;
    eyni_stmt *st = NULL;
    int rc = eyni_store_acquire(store, &db, err);
    if (rc)
        return rc;
    rc = eyni_db_prepare(db, sql, &st, err);
    if (rc == 0)
        rc = reg_bind_texts(st, 1, texts, nt, err);
    for (int i = 0; rc == 0 && i < ni; i++)
        rc = eyni_stmt_bind_int64(st, nt + 1 + i, ints[i], err);
    if (rc == 0)
        rc = eyni_stmt_step(st, err);
    eyni_stmt_free(st);
    eyni_store_release(store, db);
    return rc < 0 ? rc : 0;
}

static int node_beat(struct id_node *nd, eyni_error *err)
{
    const char *texts[] = {nd->url, nd->shards, nd->started};
    long long ints[] = {nd->id->shards, id_now_ms()};
    return node_exec(nd->id,
                     "INSERT INTO nodes (url, shards, started_at, shard_count, beat_ms)"
                     " VALUES (?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET"
                     " shards = excluded.shards, started_at = excluded.started_at,"
                     " shard_count = excluded.shard_count, beat_ms = excluded.beat_ms",
                     texts, 3, ints, 2, err);
}

static void *beat_loop(void *arg)
{
    struct id_node *nd = arg;
    int waited = 0;
    while (!atomic_load(&nd->stop)) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
        waited += 50;
        if (waited < nd->beat_ms)
            continue;
        waited = 0;
        eyni_error err;
        if (node_beat(nd, &err))
            eyni_log_write(nd->id->opts.log, EYNI_LOG_WARN, "shard", "heartbeat: %s", err.msg);
    }
    return NULL;
}

int eyni_identity_node_join(eyni_identity *id, const char *url, eyni_error *err)
{
    if (id->shards <= 1 || id->node)
        return 0;
    if (!url || strlen(url) >= ID_URL_MAX ||
        (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
        return eyni_error_set(err, EYNI_EINVAL, "node address '%.60s' is not an http(s) URL",
                              url ? url : "");
    struct id_node *nd = calloc(1, sizeof *nd);
    if (!nd)
        return eyni_error_set(err, EYNI_ENOMEM, "identity: out of memory");
    nd->id = id;
    snprintf(nd->url, sizeof nd->url, "%s", url);
    id_shards_text(id->held, id->shards, nd->shards, sizeof nd->shards);
    eyni_time_now_iso(nd->started);
    /* Five beats per lifetime: one lost beat never makes a live node look down. */
    nd->beat_ms = id->opts.node_ttl_ms / 5 > 10 ? id->opts.node_ttl_ms / 5 : 10;
    int rc = node_beat(nd, err);
    if (rc == 0 && pthread_create(&nd->thread, NULL, beat_loop, nd) != 0)
        rc = eyni_error_set(err, EYNI_ENOMEM, "identity: cannot start the heartbeat thread");
    if (rc) {
        free(nd);
        return rc;
    }
    id->node = nd;
    eyni_log_write(id->opts.log, EYNI_LOG_INFO, "shard", "node %s holds shards %s of %d", url,
                   nd->shards, id->shards);
    return 0;
}

void id_node_leave(eyni_identity *id)
{
    struct id_node *nd = id->node;
    if (!nd)
        return;
    atomic_store(&nd->stop, 1);
    pthread_join(nd->thread, NULL);
    /* Peers stop asking at once instead of after node_ttl_ms. */
    const char *texts[] = {nd->url};
    eyni_error err;
    if (node_exec(id, "DELETE FROM nodes WHERE url = ?", texts, 1, NULL, 0, &err))
        eyni_log_write(id->opts.log, EYNI_LOG_WARN, "shard", "leaving: %s", err.msg);
    free(nd);
    id->node = NULL;
}

static const char *id_node_url(const eyni_identity *id)
{
    return id->node ? id->node->url : "";
}

void id_peers_free(id_peer *p, int n)
{
    for (int i = 0; p && i < n; i++)
        free(p[i].held);
    free(p);
}

/* Adds the row at st to the peers when it is another live node of the same shard count. */
static int peer_of_row(eyni_identity *id, eyni_stmt *st, long long now, id_peer *p)
{
    const char *url = eyni_stmt_text(st, 0), *shards = eyni_stmt_text(st, 1);
    long long count = eyni_stmt_int64(st, 2), beat = eyni_stmt_int64(st, 3);
    if (!url || !shards || !strcmp(url, id_node_url(id)) || now - beat > id->opts.node_ttl_ms)
        return 0;
    eyni_error err;
    if (count != id->shards || strlen(url) >= ID_URL_MAX) {
        eyni_log_write(id->opts.log, EYNI_LOG_WARN, "shard",
                       "node %.80s has %lld shards, this node %d: not asked", url, count,
                       id->shards);
        return 0;
    }
    p->held = malloc((size_t)id->shards);
    if (!p->held)
        return -1;
    if (eyni_identity_shards_parse(shards, id->shards, p->held, &err)) {
        eyni_log_write(id->opts.log, EYNI_LOG_WARN, "shard", "node %.80s: %s", url, err.msg);
        free(p->held);
        p->held = NULL;
        return 0;
    }
    snprintf(p->url, sizeof p->url, "%s", url);
    p->failed = 0;
    return 1;
}

int id_peers_live(eyni_identity *id, id_peer **out, int *n, eyni_error *err)
{
    eyni_store *store = eyni_register_store(id->reg);
    eyni_db *db = NULL;
    eyni_stmt *st = NULL;
    id_peer *p = NULL;
    int k = 0, cap = 0;
    int rc = eyni_store_acquire(store, &db, err);
    if (rc)
        return rc;
    rc = eyni_db_prepare(db, "SELECT url, shards, shard_count, beat_ms FROM nodes ORDER BY url",
                         &st, err);
    long long now = id_now_ms();
    while (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1) {
        if (k == cap) {
            cap = cap ? cap * 2 : 8;
            id_peer *q = cap <= 4096 ? realloc(p, (size_t)cap * sizeof *q) : NULL;
            if (!q) {
                rc = eyni_error_set(err, EYNI_ENOMEM, "too many nodes");
                break;
            }
            p = q;
        }
        int got = peer_of_row(id, st, now, &p[k]);
        if (got < 0)
            rc = eyni_error_set(err, EYNI_ENOMEM, "out of memory reading nodes");
        else
            k += got;
        rc = rc < 0 ? rc : 0;
    }
    eyni_stmt_free(st);
    eyni_store_release(store, db);
    if (rc < 0) {
        id_peers_free(p, k);
        return rc;
    }
    *out = p;
    *n = k;
    return 0;
}
