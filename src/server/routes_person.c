/* /v1/persons: the population register over HTTP. */
#include "server_int.h"

static int create(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    json_t *in;
    int rc = srv_body_json(rq, &in, err);
    if (rc)
        return rc;
    rc = eyni_register_person_create(rq->reg, &rq->actor, in, out, err);
    json_decref(in);
    *status = 201;
    return rc;
}

static int read_one(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    return eyni_register_person_get(rq->reg, &rq->actor, rq->params[0], out, err);
}

static int update(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    json_t *in;
    int rc = srv_body_json(rq, &in, err);
    if (rc)
        return rc;
    rc = eyni_register_person_update(rq->reg, &rq->actor, rq->params[0], in, out, err);
    json_decref(in);
    return rc;
}

static int history(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    return eyni_register_person_history(rq->reg, &rq->actor, rq->params[0], out, err);
}

static int search(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    long long limit, offset;
    int rc = srv_query_int(rq, "limit", 20, 1, EYNI_SEARCH_MAX, &limit, err);
    if (rc == 0)
        rc = srv_query_int(rq, "offset", 0, 0, 1000000, &offset, err);
    if (rc)
        return rc;
    eyni_person_query q = {srv_query(rq, "fin"), srv_query(rq, "surname"),
                           srv_query(rq, "given_name"), srv_query(rq, "birth_date"), (int)limit,
                           (int)offset};
    return eyni_register_person_search(rq->reg, &rq->actor, &q, out, err);
}

const srv_route srv_routes_person[] = {
    {"POST", "/v1/persons", create, 1},
    {"GET", "/v1/persons", search, 1},
    {"GET", "/v1/persons/{}", read_one, 1},
    {"PATCH", "/v1/persons/{}", update, 1},
    {"GET", "/v1/persons/{}/versions", history, 1},
    {NULL, NULL, NULL, 0},
};
