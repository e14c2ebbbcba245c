/* The libmicrohttpd daemon: address parsing, request body collection with a size cap,
 * handing complete requests to the router, and writing JSON replies. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "server_int.h"

struct eyni_server {
    struct MHD_Daemon *daemon;
    unsigned char *tls_cert, *tls_key; /* PEM text, kept while the daemon runs */
    eyni_register *reg;
    eyni_identity *identity;
    eyni_dnareg *dna;
    eyni_events *events;
    eyni_server_wanted_embedder wanted;
    eyni_log *log;
    size_t max_body;
    int port;
    char *web_dir; /* console files; NULL: not served */
};

typedef struct conn_ctx {
    char *body;
    size_t len, cap;
    int too_large;
    double start_ms;
} conn_ctx;

static int parse_listen(const char *s, struct sockaddr_storage *ss, int *v6, eyni_error *err)
{
    char host[128];
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || (size_t)(colon - s) >= sizeof host)
        return eyni_error_set(err, EYNI_EINVAL, "listen address '%.64s' is not HOST:PORT", s);
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535 || end == colon + 1)
        return eyni_error_set(err, EYNI_EINVAL, "listen port in '%.64s' is not 0..65535", s);
    memset(ss, 0, sizeof *ss);
    size_t hl = strlen(host);
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
        host[hl - 1] = '\0';
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *v6 = 1;
        if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) == 1)
            return 0;
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        *v6 = 0;
        if (inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host,
                      &a4->sin_addr) == 1)
            return 0;
    }
    return eyni_error_set(err, EYNI_EINVAL, "listen host '%.64s' is not an IP address", host);
}

static enum MHD_Result send_json(struct MHD_Connection *c, int status, json_t *reply)
{
    char *text = json_dumps(reply, JSON_COMPACT);
    json_decref(reply);
    if (!text)
        return MHD_NO;
    size_t n = strlen(text);
    text[n] = '\0';
    struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback(n, text, free);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (status == 401)
        MHD_add_response_header(r, "WWW-Authenticate", "Bearer");
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ok;
}

/* A Server-Sent Events response; the stream is freed with the response. */
static enum MHD_Result send_stream(struct MHD_Connection *c, srv_stream *st)
{
    struct MHD_Response *r = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, 4096, srv_stream_read, st, srv_stream_free);
    if (!r) {
        srv_stream_free(st);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/event-stream; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    enum MHD_Result ok = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result refuse_large(struct MHD_Connection *c, size_t max)
{
    eyni_error err;
    eyni_error_set(&err, EYNI_ELIMIT, "request body larger than %zu bytes", max);
    return send_json(c, 413, srv_error_body(&err));
}

/* Appends a piece of the body; past the cap the rest is discarded and 413 follows. */
static void collect(conn_ctx *cx, const char *data, size_t n, size_t max)
{
    if (cx->too_large || n > max - cx->len) {
        cx->too_large = 1;
        return;
    }
    if (cx->len + n + 1 > cx->cap) {
        size_t cap = cx->cap ? cx->cap : 4096;
        while (cap < cx->len + n + 1)
            cap *= 2;
        char *b = realloc(cx->body, cap);
        if (!b) {
            cx->too_large = 1;
            return;
        }
        cx->body = b;
        cx->cap = cap;
    }
    memcpy(cx->body + cx->len, data, n);
    cx->len += n;
    cx->body[cx->len] = '\0';
}

static int declared_too_large(struct MHD_Connection *c, size_t max)
{
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    return cl && strtoull(cl, NULL, 10) > max;
}

/* Everything outside the API and the probes (/health, /ready) is a file of the console. */
static int console_path(const char *url)
{
    return strncmp(url, "/v1/", 4) != 0 && strcmp(url, "/v1") != 0 && strcmp(url, "/health") != 0 &&
           strcmp(url, "/ready") != 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    eyni_server *srv = cls;
    conn_ctx *cx = *con_cls;
    if (!cx) {
        cx = calloc(1, sizeof *cx);
        if (!cx)
            return MHD_NO;
        cx->start_ms = eyni_time_ms();
        *con_cls = cx;
        if (declared_too_large(c, srv->max_body))
            return refuse_large(c, srv->max_body);
        return MHD_YES;
    }
    if (*upload_size) {
        collect(cx, upload, *upload_size, srv->max_body);
        *upload_size = 0;
        return MHD_YES;
    }
    if (cx->too_large)
        return refuse_large(c, srv->max_body);
    if (srv->web_dir && console_path(url)) {
        eyni_log_write(srv->log, EYNI_LOG_INFO, "http", "%s %.200s static", method, url);
        return srv_static_serve(c, srv->web_dir, method, url);
    }
    srv_request rq;
    memset(&rq, 0, sizeof rq);
    rq.conn = c;
    rq.reg = srv->reg;
    rq.identity = srv->identity;
    rq.dna = srv->dna;
    rq.events = srv->events;
    rq.wanted = &srv->wanted;
    rq.method = method;
    rq.path = url;
    rq.body = cx->body;
    rq.body_len = cx->len;
    int status = 200;
    json_t *reply = NULL;
    srv_dispatch(&rq, &status, &reply);
    eyni_log_write(srv->log, EYNI_LOG_INFO, "http", "%s %s %d %.1fms actor=%s", method, url, status,
                   eyni_time_ms() - cx->start_ms, rq.actor.id[0] ? rq.actor.id : "-");
    if (rq.stream) {
        json_decref(reply);
        return send_stream(c, rq.stream);
    }
    return send_json(c, status, reply ? reply : json_object());
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    conn_ctx *cx = *con_cls;
    if (cx) {
        free(cx->body);
        free(cx);
        *con_cls = NULL;
    }
}

static int load_tls(eyni_server *srv, const eyni_server_opts *o, eyni_error *err)
{
    if (!o->tls_cert && !o->tls_key)
        return 0;
    if (!o->tls_cert || !o->tls_key)
        return eyni_error_set(err, EYNI_EINVAL, "server: HTTPS needs both tls_cert and tls_key");
    size_t n;
    int rc = eyni_file_read(o->tls_cert, 1 << 20, &srv->tls_cert, &n, err);
    if (rc == 0)
        rc = eyni_file_read(o->tls_key, 1 << 20, &srv->tls_key, &n, err);
    return rc;
}

static void free_server(eyni_server *srv)
{
    if (srv->tls_key) /* the private key does not linger in freed memory */
        memset(srv->tls_key, 0, strlen((char *)srv->tls_key));
    free(srv->tls_key);
    free(srv->tls_cert);
    free(srv->web_dir);
    free(srv);
}

int eyni_server_start(eyni_register *reg, const eyni_server_opts *o, eyni_server **out,
                      eyni_error *err)
{
    struct sockaddr_storage ss;
    int v6 = 0;
    int rc = parse_listen(o->listen ? o->listen : "127.0.0.1:8080", &ss, &v6, err);
    if (rc)
        return rc;
    eyni_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return eyni_error_set(err, EYNI_ENOMEM, "server: out of memory");
    srv->reg = reg;
    srv->identity = o->identity;
    srv->dna = o->dna;
    srv->events = o->events;
    srv->wanted = o->wanted;
    srv->log = o->log;
    srv->max_body = o->max_body ? o->max_body : EYNI_SERVER_MAX_BODY_DEFAULT;
    rc = load_tls(srv, o, err);
    if (rc == 0 && o->web_dir && o->web_dir[0] && !(srv->web_dir = strdup(o->web_dir)))
        rc = eyni_error_set(err, EYNI_ENOMEM, "server: out of memory");
    if (rc) {
        free_server(srv);
        return rc;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     (v6 ? MHD_USE_IPv6 : 0) | (srv->tls_cert ? MHD_USE_TLS : 0);
    /* Options after the TLS pair are ignored when it is absent: MHD_OPTION_END ends early. */
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(o->threads > 0 ? o->threads : 4),
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(o->timeout_s > 0 ? o->timeout_s : 30),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)1000, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        srv->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, (const char *)srv->tls_cert,
        MHD_OPTION_HTTPS_MEM_KEY, (const char *)srv->tls_key, MHD_OPTION_END);
    if (!srv->daemon) {
        free_server(srv);
        return eyni_error_set(err, EYNI_EIO,
                              "server: cannot listen on %s (in use, not allowed, or bad TLS "
                              "certificate/key)",
                              o->listen ? o->listen : "127.0.0.1:8080");
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : 0;
    *out = srv;
    return 0;
}

int eyni_server_port(const eyni_server *srv)
{
    return srv->port;
}

void eyni_server_stop(eyni_server *srv)
{
    if (!srv)
        return;
    MHD_stop_daemon(srv->daemon);
    free_server(srv);
}

int eyni_server_opts_from_config(const eyni_config *cfg, eyni_server_opts *o, eyni_error *err)
{
    long long threads, body, timeout;
    int rc = eyni_config_get_int(cfg, "server.threads", 4, 1, 256, &threads, err);
    if (rc == 0)
        rc = eyni_config_get_int(cfg, "server.max_body", EYNI_SERVER_MAX_BODY_DEFAULT, 1024,
                                 (long long)1 << 30, &body, err);
    if (rc == 0)
        rc = eyni_config_get_int(cfg, "server.timeout", 30, 1, 3600, &timeout, err);
    if (rc)
        return rc;
    o->listen = eyni_config_get(cfg, "server.listen", "127.0.0.1:8080");
    o->threads = (int)threads;
    o->max_body = (size_t)body;
    o->timeout_s = (int)timeout;
    o->tls_cert = eyni_config_get(cfg, "server.tls_cert", NULL);
    o->tls_key = eyni_config_get(cfg, "server.tls_key", NULL);
    o->web_dir = eyni_config_get(cfg, "server.web_dir", EYNI_WEB_DIR);
    return 0;
}
