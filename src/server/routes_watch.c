/* /v1/watchlists and /v1/bans. */
#include <stdlib.h>

#include "server_int.h"

static int list_create(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    json_t *in;
    int rc = srv_body_json(rq, &in, err);
    if (rc == 0)
        rc = eyni_register_watchlist_create(rq->reg, &rq->actor, in, out, err);
    json_decref(in);
    *status = 201;
    return rc;
}

static int list_all(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    return eyni_register_watchlist_list(rq->reg, &rq->actor, out, err);
}

static int entries(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    return eyni_register_watch_entries(rq->reg, &rq->actor, rq->params[0], out, err);
}

static int entry_add(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    json_t *in;
    int rc = srv_body_json(rq, &in, err);
    if (rc == 0)
        rc = eyni_register_watch_add(rq->reg, &rq->actor, rq->params[0], in, out, err);
    json_decref(in);
    *status = 201;
    return rc;
}

static int id_param(const char *s, long long *id, eyni_error *err)
{
    char *end;
    *id = strtoll(s, &end, 10);
    if (*end || *id <= 0)
        return eyni_error_set(err, EYNI_EFORMAT, "'%.20s' is not an id", s);
    return 0;
}

/* {"reason": "..."} bodies of removals and lifts. */
static int reason_of(srv_request *rq, json_t **in, const char **reason, eyni_error *err)
{
    static const char *const keys[] = {"reason", NULL};
    int rc = srv_body_json(rq, in, err);
    if (rc == 0)
        rc = eyni_json_check_keys(*in, keys, err);
    if (rc == 0)
        rc = eyni_json_get_string(*in, "reason", EYNI_TEXT_MAX, reason, err);
    return rc;
}

static int entry_remove(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    long long id;
    json_t *in = NULL;
    const char *reason = NULL;
    int rc = id_param(rq->params[1], &id, err);
    if (rc == 0)
        rc = reason_of(rq, &in, &reason, err);
    if (rc == 0)
        rc = eyni_register_watch_remove(rq->reg, &rq->actor, rq->params[0], id, reason, err);
    if (rc == 0)
        *out = json_pack("{s:s, s:I, s:b}", "list", rq->params[0], "entry", (json_int_t)id,
                         "removed", 1);
    json_decref(in);
    return rc;
}

static int import(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    if (!rq->body_len)
        return eyni_error_set(err, EYNI_EFORMAT, "the body must be the CSV list");
    return eyni_register_watch_import(rq->reg, &rq->actor, rq->params[0], rq->body, rq->body_len,
                                      out, err);
}

static int check(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    json_t *in;
    int rc = srv_body_json(rq, &in, err);
    if (rc == 0)
        rc = eyni_register_watch_check(rq->reg, &rq->actor, in, out, err);
    json_decref(in);
    return rc;
}

static int ban_create(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    json_t *in;
    int rc = srv_body_json(rq, &in, err);
    if (rc == 0)
        rc = eyni_register_ban_create(rq->reg, &rq->actor, in, out, err);
    json_decref(in);
    *status = 201;
    return rc;
}

static int ban_lift(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    long long id;
    json_t *in = NULL;
    const char *reason = NULL;
    int rc = id_param(rq->params[0], &id, err);
    if (rc == 0)
        rc = reason_of(rq, &in, &reason, err);
    if (rc == 0)
        rc = eyni_register_ban_lift(rq->reg, &rq->actor, id, reason, err);
    if (rc == 0)
        *out = json_pack("{s:I, s:b}", "id", (json_int_t)id, "lifted", 1);
    json_decref(in);
    return rc;
}

static int ban_check(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    json_t *in;
    int rc = srv_body_json(rq, &in, err);
    static const char *const keys[] = {"person", "date", "direction", NULL};
    const char *date = NULL, *dir = NULL;
    if (rc == 0)
        rc = eyni_json_check_keys(in, keys, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "date", 10, &date, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "direction", 8, &dir, err);
    if (rc == 0)
        rc = eyni_register_ban_check(rq->reg, &rq->actor, json_object_get(in, "person"), date, dir,
                                     out, err);
    json_decref(in);
    return rc;
}

static int ban_list(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    long long limit, offset;
    int rc = srv_query_int(rq, "limit", 50, 1, 500, &limit, err);
    if (rc == 0)
        rc = srv_query_int(rq, "offset", 0, 0, 1000000000, &offset, err);
    if (rc == 0)
        rc = eyni_register_ban_list(rq->reg, &rq->actor, srv_query(rq, "fin"),
                                    srv_query(rq, "status"), limit, offset, out, err);
    return rc;
}

const srv_route srv_routes_watch[] = {
    {"POST", "/v1/watchlists", list_create, 1},
    {"GET", "/v1/watchlists", list_all, 1},
    {"POST", "/v1/watchlists/check", check, 1},
    {"GET", "/v1/watchlists/{}/entries", entries, 1},
    {"POST", "/v1/watchlists/{}/entries", entry_add, 1},
    {"POST", "/v1/watchlists/{}/entries/{}/remove", entry_remove, 1},
    {"POST", "/v1/watchlists/{}/import", import, 1},
    {"POST", "/v1/bans", ban_create, 1},
    {"GET", "/v1/bans", ban_list, 1},
    {"POST", "/v1/bans/check", ban_check, 1},
    {"POST", "/v1/bans/{}/lift", ban_lift, 1},
    {NULL, NULL, NULL, 0},
};
