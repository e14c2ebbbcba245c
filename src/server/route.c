/* Routing: path patterns, authentication, purpose, and error replies. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "server_int.h"

static const srv_route *const tables[] = {srv_routes_admin, srv_routes_person, srv_routes_blank,
                                          srv_routes_watch, srv_routes_identity,
                                          srv_routes_border, srv_routes_dna,
                                          srv_routes_video, srv_routes_console};

/* Matches "/v1/persons/{}" against a path, capturing {} segments into rq->params. */
static int match(const char *pattern, const char *path, srv_request *rq)
{
    int np = 0;
    while (*pattern && *path) {
        if (pattern[0] == '{' && pattern[1] == '}') {
            size_t n = strcspn(path, "/");
            if (n == 0 || n >= SRV_PARAM_MAX || np == SRV_MAX_PARAMS)
                return 0;
            memcpy(rq->params[np], path, n);
            rq->params[np++][n] = '\0';
            path += n;
            pattern += 2;
        } else if (*pattern++ != *path++) {
            return 0;
        }
    }
    return *pattern == '\0' && *path == '\0';
}

int srv_status_of(int code)
{
    switch (code) {
    case EYNI_EINVAL:
    case EYNI_EFORMAT: return 400;
    case EYNI_EAUTH: return 401;
    case EYNI_EPERM: return 403;
    case EYNI_ENOTFOUND: return 404;
    case EYNI_EEXIST:
    case EYNI_ECONFLICT: return 409;
    case EYNI_ELIMIT: return 413;
    case EYNI_EQUALITY: return 422;
    case EYNI_EMODEL: return 503;
    default: return 500;
    }
}

json_t *srv_error_body(const eyni_error *err)
{
    return json_pack("{s:{s:s, s:s}}", "error", "code", eyni_error_name(err->code), "message",
                     err->msg);
}

static const char *bearer(struct MHD_Connection *c)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (h && strncmp(h, "Bearer ", 7) == 0)
        return h + 7;
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-API-Key");
}

static int authenticate(srv_request *rq, eyni_error *err)
{
    char origin[64] = "";
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, origin, sizeof origin);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, origin,
                      sizeof origin);
    }
    int rc = eyni_register_authenticate(rq->reg, bearer(rq->conn), origin, &rq->actor, err);
    if (rc)
        return rc;
    const char *purpose = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "X-Purpose");
    if (purpose) {
        if (strlen(purpose) > EYNI_TEXT_MAX || !eyni_utf8_valid(purpose, strlen(purpose)))
            return eyni_error_set(err, EYNI_EFORMAT, "X-Purpose must be at most %d bytes of text",
                                  EYNI_TEXT_MAX);
        snprintf(rq->actor.purpose, sizeof rq->actor.purpose, "%s", purpose);
    }
    return 0;
}

void srv_dispatch(srv_request *rq, int *status, json_t **reply)
{
    eyni_error err;
    eyni_error_clear(&err);
    int path_known = 0;
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        for (const srv_route *r = tables[t]; r->method; r++) {
            if (!match(r->pattern, rq->path, rq))
                continue;
            path_known = 1;
            if (strcmp(r->method, rq->method) != 0)
                continue;
            int rc = r->auth ? authenticate(rq, &err) : 0;
            *status = 200;
            if (rc == 0)
                rc = r->fn(rq, reply, status, &err);
            if (rc) {
                json_decref(*reply);
                *reply = srv_error_body(&err);
                *status = srv_status_of(rc);
            }
            return;
        }
    }
    eyni_error_set(&err, path_known ? EYNI_EINVAL : EYNI_ENOTFOUND, "%s %.100s: %s", rq->method,
                   rq->path, path_known ? "method not allowed" : "no such resource");
    *reply = srv_error_body(&err);
    *status = path_known ? 405 : 404;
}

const char *srv_query(srv_request *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

int srv_query_int(srv_request *rq, const char *name, long long def, long long min,
                  long long max, long long *out, eyni_error *err)
{
    const char *s = srv_query(rq, name);
    if (!s) {
        *out = def;
        return 0;
    }
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || v < min || v > max)
        return eyni_error_set(err, EYNI_EINVAL, "parameter '%s' must be an integer %lld..%lld",
                              name, min, max);
    *out = v;
    return 0;
}

int srv_body_json(srv_request *rq, json_t **out, eyni_error *err)
{
    if (!rq->body || rq->body_len == 0)
        return eyni_error_set(err, EYNI_EFORMAT, "request body must be a JSON object");
    return eyni_json_parse_object(rq->body, rq->body_len, out, err);
}
