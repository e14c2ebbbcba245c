/* `eyni bench nodes DATA_ROOT --store postgresql://...`: throughput of 1 and 3 identity
 * nodes sharing one PostgreSQL database, and the propagation delay of an enrolment from
 * one node's galleries to another's. A node here is what eynid runs behind HTTP: its own
 * connection pool, galleries, face engine and change-feed follower (LISTEN/NOTIFY), in one
 * process so the figures leave HTTP out. Each pass uses a fresh database next to the one
 * named (eyni_bench_N), dropped first. Bounded: P enrolments, then S seconds of 1:N. */
#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "eyni/identity.h"

#define MAX_NODES   8
#define MAX_PERSONS 200

typedef struct image {
    unsigned char *data;
    size_t len;
} image;

typedef struct node {
    eyni_register *reg;
    eyni_identity *id;
    eyni_identity_follower *follow;
} node;

typedef struct pass {
    node nodes[MAX_NODES];
    int n;
    image *img;
    int persons;
    double seconds;
    int enrolled, refused, errors;
    long long identified;
    pthread_mutex_t lock;
} pass;

typedef struct job {
    pass *p;
    int node;
} job;

static int cmpstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lowest-named .jpg in dir (LFW numbering does not always start at 0001). */
static int first_jpg(const char *dir, char *out, size_t cap)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    char best[256] = "";
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".jpg") && (!best[0] || strcmp(e->d_name, best) < 0))
            snprintf(best, sizeof best, "%s", e->d_name);
    closedir(d);
    if (best[0])
        snprintf(out, cap, "%s/%s", dir, best);
    return best[0] != 0;
}

/* The first image of the first n LFW identities (by name). */
static int load_faces(const char *root, image *img, int n, eyni_error *err)
{
    char dir[4200], person[4500], path[4800];
    snprintf(dir, sizeof dir, "%s/lfw-a-gray-dev/images", root);
    DIR *d = opendir(dir);
    if (!d)
        return eyni_error_set(err, EYNI_ENOTFOUND, "%s: not readable", dir);
    char **names = calloc(16384, sizeof *names);
    int k = 0, rc = 0;
    struct dirent *e;
    while (names && (e = readdir(d)) != NULL && k < 16384)
        if (e->d_name[0] != '.')
            names[k++] = strdup(e->d_name);
    closedir(d);
    if (!names)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    qsort(names, (size_t)k, sizeof *names, cmpstr);
    if (k < n)
        rc = eyni_error_set(err, EYNI_ENOTFOUND, "%s: fewer than %d identities", dir, n);
    for (int i = 0; rc == 0 && i < n; i++) {
        snprintf(person, sizeof person, "%s/%s", dir, names[i]);
        rc = first_jpg(person, path, sizeof path)
                 ? eyni_file_read(path, 1 << 24, &img[i].data, &img[i].len, err)
                 : eyni_error_set(err, EYNI_ENOTFOUND, "%s: no image", person);
    }
    for (int i = 0; i < k; i++)
        free(names[i]);
    free(names);
    return rc;
}

/* The server URI with its database part replaced by name. */
static int uri_with_db(const char *uri, const char *name, char *out, size_t cap, eyni_error *err)
{
    const char *q = strchr(uri, '?'), *s = strstr(uri, "://");
    const char *slash = s ? strchr(s + 3, '/') : NULL;
    if (!slash || (q && slash > q))
        return eyni_error_set(err, EYNI_EINVAL, "bench nodes: %s has no database part", uri);
    snprintf(out, cap, "%.*s/%s%s", (int)(slash - uri), uri, name, q ? q : "");
    return 0;
}

static int fresh_database(const char *server, const char *name, eyni_error *err)
{
    eyni_store_opts o = {1, 0};
    eyni_store *s = NULL;
    eyni_db *db = NULL;
    char sql[128];
    int rc = eyni_store_open(server, &o, &s, err);
    if (rc == 0)
        rc = eyni_store_acquire(s, &db, err);
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", name);
    if (rc == 0)
        rc = eyni_db_exec(db, sql, err);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'",
             name);
    if (rc == 0)
        rc = eyni_db_exec(db, sql, err);
    if (db)
        eyni_store_release(s, db);
    eyni_store_close(s);
    return rc;
}

static int enrol(node *nd, image *img, int k, eyni_error *err, int *unique)
{
    char surname[32];
    snprintf(surname, sizeof surname, "Bench%c%c%c", 'a' + k / 676, 'a' + k / 26 % 26,
             'a' + k % 26);
    json_t *person = json_pack("{s:s, s:s, s:s, s:s}", "surname", surname, "given_name", "Node",
                               "birth_date", "1980-01-01", "sex", "X");
    eyni_sample_in in = {"face", 0, img[k].data, img[k].len};
    eyni_actor a;
    eyni_actor_local(&a, "BENCH", "nodes benchmark");
    json_t *out = NULL;
    int rc = eyni_identity_enrol(nd->id, &a, person, &in, 1, &out, err);
    *unique = rc == 0 && !strcmp(json_string_value(json_object_get(out, "status")), "unique");
    json_decref(out);
    json_decref(person);
    return rc;
}

static void *enrol_worker(void *arg)
{
    job *j = arg;
    pass *p = j->p;
    for (int k = j->node; k < p->persons; k += p->n) {
        eyni_error err;
        int unique = 0;
        int rc = enrol(&p->nodes[j->node], p->img, k, &err, &unique);
        pthread_mutex_lock(&p->lock);
        if (rc == EYNI_EQUALITY)
            p->refused++;
        else if (rc)
            p->errors++;
        else
            p->enrolled++;
        pthread_mutex_unlock(&p->lock);
    }
    return NULL;
}

static void *identify_worker(void *arg)
{
    job *j = arg;
    pass *p = j->p;
    double until = eyni_time_ms() + p->seconds * 1000;
    eyni_actor a;
    eyni_actor_local(&a, "BENCH", "nodes benchmark");
    long long done = 0;
    for (int k = j->node; eyni_time_ms() < until; k = (k + p->n) % p->persons) {
        eyni_sample_in in = {"face", 0, p->img[k].data, p->img[k].len};
        json_t *out = NULL;
        eyni_error err;
        if (eyni_identity_identify(p->nodes[j->node].id, &a, &in, 1, 1, 0, &out, &err) == 0)
            done++;
        json_decref(out);
    }
    pthread_mutex_lock(&p->lock);
    p->identified += done;
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static long long last_change(node *nd)
{
    json_t *s = eyni_identity_stats(nd->id);
    long long v = json_integer_value(json_object_get(s, "last_change"));
    json_decref(s);
    return v;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Enrolments on node 0 of persons beyond the measured set; time from the enrolment's
 * return (the acknowledgement) until node 1's follower has applied it (no request reaches
 * node 1). Node 0 commits, then catches up itself before returning; a NOTIFY usually lets
 * node 1 apply the change within that time, which already_applied_at_ack counts. */
static json_t *propagation(pass *p, image *extra, int n_extra)
{
    double ms[16];
    int got = 0, at_ack = 0;
    for (int i = 0; i < n_extra && got < 16; i++) {
        eyni_error err;
        int unique = 0;
        if (enrol(&p->nodes[0], extra, i, &err, &unique) || !unique)
            continue;
        long long want = last_change(&p->nodes[0]);
        double t0 = eyni_time_ms();
        at_ack += last_change(&p->nodes[1]) >= want;
        while (last_change(&p->nodes[1]) < want && eyni_time_ms() - t0 < 10000)
            usleep(200);
        ms[got++] = eyni_time_ms() - t0;
    }
    if (!got)
        return json_null();
    qsort(ms, (size_t)got, sizeof *ms, cmpd);
    return json_pack("{s:i, s:i, s:f, s:f}", "samples", got, "already_applied_at_ack", at_ack,
                     "median_ms_after_ack", ms[got / 2], "max_ms_after_ack", ms[got - 1]);
}

static int open_nodes(pass *p, const char *uri, const char *keys, eyni_error *err)
{
    int rc = 0;
    for (int i = 0; rc == 0 && i < p->n; i++) {
        node *nd = &p->nodes[i];
        eyni_register_opts o = {uri, 4, 0, NULL, NULL, keys, 1, NULL, NULL, NULL, NULL, NULL};
        rc = eyni_register_open(&o, &nd->reg, err);
        if (rc == 0)
            rc = eyni_identity_open(nd->reg, NULL, &nd->id, err);
        if (rc == 0)
            rc = eyni_identity_follow(nd->id, 1000, &nd->follow, err);
    }
    return rc;
}

static void close_nodes(pass *p)
{
    for (int i = 0; i < p->n; i++) {
        eyni_identity_follow_stop(p->nodes[i].follow);
        eyni_identity_close(p->nodes[i].id);
        eyni_register_close(p->nodes[i].reg);
    }
}

static int run_pass(const char *server, const char *keys, int n, image *img, int persons,
                    double seconds, image *extra, json_t **out, eyni_error *err)
{
    pass p;
    memset(&p, 0, sizeof p);
    p.n = n;
    p.img = img;
    p.persons = persons;
    p.seconds = seconds;
    pthread_mutex_init(&p.lock, NULL);
    char name[32], uri[4200];
    snprintf(name, sizeof name, "eyni_bench_%d", n);
    int rc = uri_with_db(server, name, uri, sizeof uri, err);
    if (rc == 0)
        rc = fresh_database(server, name, err);
    if (rc == 0)
        rc = open_nodes(&p, uri, keys, err);
    job jobs[MAX_NODES];
    pthread_t t[MAX_NODES];
    double enrol_ms = 0, ident_ms = 0;
    for (int phase = 0; rc == 0 && phase < 2; phase++) {
        double t0 = eyni_time_ms();
        for (int i = 0; i < n; i++) {
            jobs[i] = (job){&p, i};
            pthread_create(&t[i], NULL, phase ? identify_worker : enrol_worker, &jobs[i]);
        }
        for (int i = 0; i < n; i++)
            pthread_join(t[i], NULL);
        *(phase ? &ident_ms : &enrol_ms) = eyni_time_ms() - t0;
        if (phase == 0 && p.errors)
            rc = eyni_error_set(err, EYNI_EINTERNAL, "%d enrolments failed", p.errors);
    }
    if (rc == 0)
        *out =
            json_pack("{s:i, s:i, s:i, s:f, s:I, s:f, s:o}", "nodes", n, "enrolled", p.enrolled,
                      "refused_by_quality", p.refused, "enrolments_per_min",
                      p.enrolled * 60000.0 / enrol_ms, "identifications", (json_int_t)p.identified,
                      "identifications_per_s", p.identified * 1000.0 / ident_ms, "propagation",
                      n > 1 ? propagation(&p, extra, 8) : json_null());
    close_nodes(&p);
    pthread_mutex_destroy(&p.lock);
    return rc;
}

static int make_keys(char *dir, size_t cap, char *keys, size_t kcap, eyni_error *err)
{
    snprintf(dir, cap, "/tmp/eyni-bench-nodes-XXXXXX");
    if (!mkdtemp(dir))
        return eyni_error_set(err, EYNI_EIO, "cannot make a temporary folder");
    char key[4300];
    unsigned char k[32];
    snprintf(keys, kcap, "%s/keys", dir);
    snprintf(key, sizeof key, "%s/data-1.key", keys);
    int rc = eyni_dir_make(keys, err);
    if (rc == 0)
        rc = eyni_random_bytes(k, sizeof k, err);
    return rc ? rc : eyni_file_write_atomic(key, k, sizeof k, 0600, err);
}

int cli_bench_nodes(int argc, char **argv)
{
    const char *usage = "eyni bench nodes DATA_ROOT --store postgresql://... [--persons P] "
                        "[--seconds S] [--json]";
    const char *root = NULL, *server = NULL;
    int persons = 60, json = 0;
    double seconds = 10;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--store") && i + 1 < argc)
            server = argv[++i];
        else if (!strcmp(argv[i], "--persons") && i + 1 < argc)
            persons = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!root && argv[i][0] != '-')
            root = argv[i];
        else
            return cli_usage(usage);
    }
    if (!root || !server || persons < 3 || persons > MAX_PERSONS || seconds <= 0 || seconds > 600)
        return cli_usage(usage);
    eyni_error err;
    image *img = calloc(MAX_PERSONS + 8, sizeof *img);
    char dir[64], keys[4200];
    int rc = img ? load_faces(root, img, persons + 8, &err)
                 : eyni_error_set(&err, EYNI_ENOMEM, "out of memory");
    if (rc == 0)
        rc = make_keys(dir, sizeof dir, keys, sizeof keys, &err);
    json_t *passes = json_array();
    static const int sizes[] = {1, 3};
    for (int i = 0; rc == 0 && i < 2; i++) {
        json_t *o = NULL;
        fprintf(stderr, "eyni bench nodes: %d node(s)...\n", sizes[i]);
        rc = run_pass(server, keys, sizes[i], img, persons, seconds, img + persons, &o, &err);
        if (rc == 0)
            json_array_append_new(passes, o);
    }
    for (int i = 0; img && i < persons + 8; i++)
        free(img[i].data);
    free(img);
    if (rc) {
        json_decref(passes);
        return cli_fail(&err);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "eyni bench nodes: could not remove %s\n", dir);
    return cli_emit(json_pack("{s:o, s:i, s:f, s:s}", "passes", passes, "persons", persons,
                              "identify_seconds", seconds, "modality", "face"),
                    json);
}
