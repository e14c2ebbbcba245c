/* `eyni bench border DATA [--persons N] [--watch N] [--clients N] [--requests N]
 * [--seconds S] [--probes N]`: the traveller-check load test of the border control issue.
 *
 * A fresh register in a temporary folder gets N synthetic persons with one face template
 * each and a person watchlist of --watch entries with face templates (random unit vectors:
 * they cost a search what a real template costs and match no real face; enrolling 100,000
 * real faces would need 100,000 distinct real people and hours of embedding). The probes
 * are real: --probes LFW identities from DATA/lfw-a-gray-dev, each a foreign traveller with
 * a visa, presenting the MRZ of a passport and a live face image. The server runs in this
 * process on 127.0.0.1 (a free port); --clients threads post POST /v1/border/checks over
 * loopback, each up to --requests checks, all stopping after --seconds. Prints JSON with
 * the latency percentiles of the whole HTTP round trip. */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "common.h"
#include "eyni/border.h"
#include "eyni/mrtd.h"
#include "eyni/server.h"

#define MAX_PROBES  64
#define MAX_CLIENTS 64

typedef struct bench_cfg {
    const char *data;
    int persons, watch, clients, requests, seconds, probes;
} bench_cfg;

typedef struct probe {
    char *body; /* the whole JSON request */
} probe;

typedef struct shared {
    int port;
    const char *token;
    probe *probes;
    int nprobes, requests;
    double deadline;
    double *lat; /* clients x requests */
    int *done, *errors;
    json_t *decisions; /* one sample answer per client, for the report */
} shared;

typedef struct client {
    shared *s;
    int index;
    char sample[256];
} client;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmpstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmpdbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One POST over a fresh loopback connection; returns the HTTP status (or -1) and the start
 * of the body in out. */
static int post(const shared *s, const char *body, char *out, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)s->port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    size_t blen = strlen(body);
    char head[512];
    int hl = snprintf(head, sizeof head,
                      "POST /v1/border/checks HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Authorization: Bearer %s\r\nX-Purpose: load test\r\n"
                      "Content-Type: application/json\r\nContent-Length: %zu\r\n"
                      "Connection: close\r\n\r\n",
                      s->token, blen);
    int status = -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        send(fd, head, (size_t)hl, MSG_NOSIGNAL) == hl &&
        send(fd, body, blen, MSG_NOSIGNAL) == (ssize_t)blen) {
        size_t n = 0;
        ssize_t r;
        while (n + 1 < cap && (r = recv(fd, out + n, cap - 1 - n, 0)) > 0)
            n += (size_t)r;
        out[n] = '\0';
        char drain[4096]; /* the rest of a long answer */
        while (recv(fd, drain, sizeof drain, 0) > 0) {
        }
        if (sscanf(out, "HTTP/1.%*d %d", &status) != 1)
            status = -1;
    }
    close(fd);
    return status;
}

static void *client_run(void *p)
{
    client *c = p;
    shared *s = c->s;
    char *reply = malloc(65536);
    for (int i = 0; reply && i < s->requests && now_s() < s->deadline; i++) {
        const probe *pr = &s->probes[(c->index * 7 + i) % s->nprobes];
        double t0 = now_s();
        int status = post(s, pr->body, reply, 65536);
        double dt = now_s() - t0;
        const char *json = strstr(reply, "\r\n\r\n");
        if (status != 200 || !json || !strstr(json, "\"decision\"")) {
            s->errors[c->index]++;
            if (!c->sample[0])
                snprintf(c->sample, sizeof c->sample, "status %d: %.200s", status,
                         json ? json + 4 : reply);
            continue;
        }
        s->lat[c->index * s->requests + s->done[c->index]++] = dt * 1000.0;
    }
    free(reply);
    return NULL;
}

static int parse(int argc, char **argv, bench_cfg *b)
{
    *b = (bench_cfg){NULL, 100000, 10000, 8, 40, 300, 16};
    for (int i = 1; i < argc; i++) {
        int *v = !strcmp(argv[i], "--persons")    ? &b->persons
                 : !strcmp(argv[i], "--watch")    ? &b->watch
                 : !strcmp(argv[i], "--clients")  ? &b->clients
                 : !strcmp(argv[i], "--requests") ? &b->requests
                 : !strcmp(argv[i], "--seconds")  ? &b->seconds
                 : !strcmp(argv[i], "--probes")   ? &b->probes
                                                  : NULL;
        if (v && i + 1 < argc)
            *v = atoi(argv[++i]);
        else if (argv[i][0] != '-' && !b->data)
            b->data = argv[i];
        else if (strcmp(argv[i], "--json") != 0)
            return -1;
    }
    if (!b->data || b->persons < 0 || b->watch < 0 || b->clients < 1 || b->clients > MAX_CLIENTS ||
        b->requests < 1 || b->seconds < 1 || b->probes < 1 || b->probes > MAX_PROBES)
        return -1;
    return 0;
}

/* The first n LFW images (by identity, then file name): one traveller each. */
static int pick_images(const char *root, char paths[][4200], int n, eyni_error *err)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/lfw-a-gray-dev/images", root);
    DIR *d = opendir(dir);
    if (!d)
        return eyni_error_set(err, EYNI_ENOTFOUND, "%s: not readable", dir);
    char *names[8192];
    int k = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && k < 8192)
        if (e->d_name[0] != '.')
            names[k++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)k, sizeof *names, cmpstr);
    int got = 0;
    for (int i = 0; i < k && got < n; i++) {
        char file[4300];
        snprintf(file, sizeof file, "%s/%s/%s_0001.jpg", dir, names[i], names[i]);
        if (access(file, R_OK) == 0)
            snprintf(paths[got++], 4200, "%s", file);
    }
    for (int i = 0; i < k; i++)
        free(names[i]);
    return got == n ? 0 : eyni_error_set(err, EYNI_ENOTFOUND, "only %d LFW images found", got);
}

/* Traveller k: a GBR passport, a multiple-entry visa for it, and the request body. */
static int make_probe(eyni_register *reg, const eyni_actor *a, int k, const char *image, probe *p,
                      eyni_error *err)
{
    char number[16], visa[16], mrz[100];
    snprintf(number, sizeof number, "GB%07d", k);
    snprintf(visa, sizeof visa, "VB%07d", k);
    eyni_mrz_fields f = {EYNI_MRZ_TD3, "P",      "GBR", "Traveller", "Bench", number,
                         "GBR",        "800101", "M",   "351231",    NULL,    NULL};
    unsigned char *bytes = NULL;
    size_t len = 0;
    char *b64 = NULL;
    json_t *in = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i}", "number",
                           visa, "type", "C", "passport_number", number, "nationality", "GBR",
                           "surname", "Traveller", "given_name", "Bench", "birth_date",
                           "1980-01-01", "sex", "M", "valid_from", "2020-01-01", "valid_until",
                           "2099-12-31", "entries", 0, "stay_days", 90);
    json_t *out = NULL;
    int rc = eyni_mrz_build(&f, mrz, sizeof mrz, err);
    if (rc == 0)
        rc = eyni_border_visa_issue(reg, a, in, &out, err);
    if (rc == 0)
        rc = eyni_file_read(image, EYNI_IDENTITY_MAX_SAMPLE_BYTES, &bytes, &len, err);
    if (rc == 0)
        rc = eyni_base64_encode(bytes, len, &b64, err);
    json_t *body = rc ? NULL
                      : json_pack("{s:s, s:s, s:s, s:s}", "mrz", mrz, "face", b64, "checkpoint",
                                  "BENCH-1", "direction", "entry");
    p->body = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (rc == 0 && !p->body)
        rc = eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    json_decref(body);
    json_decref(in);
    json_decref(out);
    free(bytes);
    free(b64);
    return rc;
}

static int setup(const bench_cfg *b, eyni_register *reg, const eyni_actor *a, probe *probes,
                 json_t *report, eyni_error *err)
{
    json_t *list = json_pack("{s:s, s:s, s:s, s:s, s:s, s:[s]}", "code", "BENCH", "name",
                             "load test list", "kind", "person", "legal_basis", "load test",
                             "valid_from", "2020-01-01", "visible_to", "*");
    json_t *out = NULL;
    int rc = eyni_register_watchlist_create(reg, a, list, &out, err);
    json_decref(list);
    json_decref(out);
    double t0 = now_s();
    if (rc == 0)
        rc = eyni_border_bench_fill(reg, a, b->persons, "BENCH", b->watch, 7, err);
    json_object_set_new(report, "fill_s", json_real(now_s() - t0));
    static char paths[MAX_PROBES][4200];
    if (rc == 0)
        rc = pick_images(b->data, paths, b->probes, err);
    for (int i = 0; rc == 0 && i < b->probes; i++)
        rc = make_probe(reg, a, i + 1, paths[i], &probes[i], err);
    return rc;
}

static void percentiles(double *v, int n, json_t *report)
{
    qsort(v, (size_t)n, sizeof *v, cmpdbl);
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += v[i];
    json_object_set_new(report, "checks", json_integer(n));
    if (n == 0)
        return;
    json_object_set_new(report, "latency_ms",
                        json_pack("{s:f, s:f, s:f, s:f, s:f}", "p50", v[(n - 1) / 2], "p95",
                                  v[(int)(0.95 * (n - 1))], "p99", v[(int)(0.99 * (n - 1))], "max",
                                  v[n - 1], "mean", sum / n));
}

static int run_clients(const bench_cfg *b, shared *s, json_t *report)
{
    pthread_t th[MAX_CLIENTS];
    client cl[MAX_CLIENTS];
    double t0 = now_s();
    s->deadline = t0 + b->seconds;
    for (int i = 0; i < b->clients; i++) {
        cl[i] = (client){s, i, ""};
        pthread_create(&th[i], NULL, client_run, &cl[i]);
    }
    for (int i = 0; i < b->clients; i++)
        pthread_join(th[i], NULL);
    double wall = now_s() - t0;
    int n = 0, errors = 0;
    double *all = malloc((size_t)b->clients * (size_t)b->requests * sizeof *all);
    for (int i = 0; all && i < b->clients; i++) {
        memcpy(all + n, s->lat + i * b->requests, (size_t)s->done[i] * sizeof *all);
        n += s->done[i];
        errors += s->errors[i];
        if (cl[i].sample[0] && !json_object_get(report, "first_error"))
            json_object_set_new(report, "first_error", json_string(cl[i].sample));
    }
    if (all)
        percentiles(all, n, report);
    free(all);
    json_object_set_new(report, "errors", json_integer(errors));
    json_object_set_new(report, "wall_s", json_real(wall));
    json_object_set_new(report, "checks_per_s", json_real(wall > 0 ? n / wall : 0));
    json_object_set_new(report, "stopped_by_deadline", json_boolean(now_s() >= s->deadline));
    return errors == 0 ? 0 : -1;
}

static int bench(const bench_cfg *b, json_t *report, eyni_error *err)
{
    char dir[64], cmd[128];
    eyni_register *reg = NULL;
    eyni_identity *id = NULL;
    eyni_server *srv = NULL;
    eyni_actor a;
    eyni_actor_local(&a, "BENCH", "load test");
    probe probes[MAX_PROBES] = {{0}};
    char token[EYNI_KEY_TOKEN_MAX];
    json_t *info = NULL;
    int rc = cmd_bench_register("border", 8, dir, sizeof dir, &reg, err);
    if (rc == 0)
        rc = setup(b, reg, &a, probes, report, err);
    if (rc == 0)
        rc = eyni_register_key_create(reg, &a, "BORDER", "border", "load test", token, &info, err);
    json_decref(info);
    eyni_identity_opts io = {0};
    double t0 = now_s();
    if (rc == 0)
        rc = eyni_identity_open(reg, &io, &id, err);
    json_object_set_new(report, "gallery_load_s", json_real(now_s() - t0));
    if (id)
        json_object_set_new(report, "galleries", eyni_identity_stats(id));
    eyni_server_opts so = {
        .listen = "127.0.0.1:0", .threads = b->clients, .timeout_s = 60, .identity = id};
    if (rc == 0)
        rc = eyni_server_start(reg, &so, &srv, err);
    size_t slots = (size_t)b->clients * (size_t)b->requests;
    shared s = {srv ? eyni_server_port(srv) : 0,
                token,
                probes,
                b->probes,
                b->requests,
                0,
                calloc(slots, sizeof(double)),
                calloc((size_t)b->clients, sizeof(int)),
                calloc((size_t)b->clients, sizeof(int)),
                NULL};
    if (rc == 0 && (!s.lat || !s.done || !s.errors))
        rc = eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    if (rc == 0 && run_clients(b, &s, report) != 0)
        fprintf(stderr, "eyni bench border: some checks failed (see first_error)\n");
    eyni_server_stop(srv);
    eyni_identity_close(id);
    eyni_register_close(reg);
    free(s.lat);
    free(s.done);
    free(s.errors);
    for (int i = 0; i < MAX_PROBES; i++)
        free(probes[i].body);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (dir[0] && system(cmd) != 0)
        fprintf(stderr, "eyni bench border: could not remove %s\n", dir);
    return rc;
}

int cli_bench_border(int argc, char **argv)
{
    bench_cfg b;
    if (parse(argc, argv, &b) != 0)
        return cli_usage("eyni bench border DATA [--persons N] [--watch N] [--clients N] "
                         "[--requests N] [--seconds S] [--probes N (1..64)] [--json]");
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    json_t *report = json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:I}", "benchmark",
                               "border traveller check (MRZ + face) over loopback HTTP", "persons",
                               b.persons, "watchlist_faces", b.watch, "clients", b.clients,
                               "requests_per_client", b.requests, "seconds_bound", b.seconds,
                               "probes", b.probes, "cores", (json_int_t)cores);
    eyni_error err;
    int rc = bench(&b, report, &err);
    if (rc) {
        json_decref(report);
        return cli_fail(&err);
    }
    return cli_emit(report, 1);
}
