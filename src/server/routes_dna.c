/* /v1/dna/...: the DNA service. Profiles travel as {"loci": {"TH01": ["6", "9.3"], ...}}
 * (docs/dna.md); reference profiles belong to a FIN, forensic ones to a case. */
#include <stdlib.h>
#include <string.h>

#include "server_int.h"

static int need_dna(srv_request *rq, eyni_error *err)
{
    return rq->dna ? 0 : eyni_error_set(err, EYNI_EMODEL, "the DNA service is not loaded");
}

/* The body as an object, after checking the service is there. */
static int body(srv_request *rq, json_t **in, eyni_error *err)
{
    int rc = need_dna(rq, err);
    return rc ? rc : srv_body_json(rq, in, err);
}

/* POST /v1/dna/reference and /v1/dna/forensic: the kind comes from the path. */
static int add_kind(srv_request *rq, const char *kind, json_t **out, int *status, eyni_error *err)
{
    json_t *in = NULL;
    int rc = body(rq, &in, err);
    if (rc == 0 && json_object_get(in, "kind"))
        rc = eyni_error_set(err, EYNI_EFORMAT, "the kind is given by the path, not 'kind'");
    if (rc == 0)
        json_object_set_new(in, "kind", json_string(kind));
    if (rc == 0)
        rc = eyni_dnareg_add(rq->dna, &rq->actor, in, out, err);
    json_decref(in);
    *status = 201;
    return rc;
}

static int add_reference(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    return add_kind(rq, "reference", out, status, err);
}

static int add_forensic(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    return add_kind(rq, "forensic", out, status, err);
}

static int get(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    (void)status;
    int rc = need_dna(rq, err);
    return rc ? rc : eyni_dnareg_get(rq->dna, &rq->actor, rq->params[0], rq->params[1], out, err);
}

static int removal(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    static const char *const keys[] = {"reason", NULL};
    (void)status;
    json_t *in = NULL;
    const char *reason = NULL;
    int rc = body(rq, &in, err);
    if (rc == 0)
        rc = eyni_json_check_keys(in, keys, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "reason", EYNI_TEXT_MAX, &reason, err);
    if (rc == 0)
        rc = eyni_dnareg_remove(rq->dna, &rq->actor, rq->params[0], rq->params[1], reason, err);
    if (rc == 0)
        *out = json_pack("{s:s, s:s, s:s}", "kind", rq->params[0], "id", rq->params[1], "status",
                         "removed");
    json_decref(in);
    return rc;
}

/* GET /v1/dna/{kind}/{id}/rmp?formula=4.10&theta=0.01&population=AA */
static int rmp(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    (void)status;
    int rc = need_dna(rq, err);
    json_t *in = rc ? NULL : json_pack("{s:s, s:s}", "kind", rq->params[0], "id", rq->params[1]);
    const char *formula = srv_query(rq, "formula"), *theta = srv_query(rq, "theta");
    const char *pop = srv_query(rq, "population");
    if (rc == 0 && formula)
        json_object_set_new(in, "formula", json_string(formula));
    if (rc == 0 && pop)
        json_object_set_new(in, "population", json_string(pop));
    if (rc == 0 && theta) {
        char *end;
        double t = strtod(theta, &end);
        if (end == theta || *end)
            rc = eyni_error_set(err, EYNI_EFORMAT, "theta must be a number");
        else
            json_object_set_new(in, "theta", json_real(t));
    }
    if (rc == 0)
        rc = eyni_dnareg_rmp(rq->dna, &rq->actor, in, out, err);
    json_decref(in);
    return rc;
}

typedef int (*dna_query_fn)(eyni_dnareg *s, const eyni_actor *a, const json_t *in, json_t **out,
                            eyni_error *err);

static int query(srv_request *rq, dna_query_fn fn, json_t **out, eyni_error *err)
{
    json_t *in = NULL;
    int rc = body(rq, &in, err);
    if (rc == 0)
        rc = fn(rq->dna, &rq->actor, in, out, err);
    json_decref(in);
    return rc;
}

static int search(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    (void)status;
    return query(rq, eyni_dnareg_search, out, err);
}

static int familial(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    (void)status;
    return query(rq, eyni_dnareg_familial, out, err);
}

static int kinship(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    (void)status;
    return query(rq, eyni_dnareg_kinship, out, err);
}

int srv_dna_enrol_check(srv_request *rq, const json_t *profile, eyni_error *err)
{
    int rc = need_dna(rq, err);
    return rc ? rc : eyni_dnareg_check_reference(rq->dna, &rq->actor, profile, err);
}

void srv_dna_enrol_store(srv_request *rq, const json_t *profile, json_t *reply)
{
    eyni_dnareg_add_enrolled(rq->dna, &rq->actor, profile, reply);
}

const srv_route srv_routes_dna[] = {
    {"POST", "/v1/dna/reference", add_reference, 1},
    {"POST", "/v1/dna/forensic", add_forensic, 1},
    {"POST", "/v1/dna/search", search, 1},
    {"POST", "/v1/dna/familial", familial, 1},
    {"POST", "/v1/dna/kinship", kinship, 1},
    {"GET", "/v1/dna/{}/{}", get, 1},
    {"GET", "/v1/dna/{}/{}/rmp", rmp, 1},
    {"POST", "/v1/dna/{}/{}/removal", removal, 1},
    {NULL, NULL, NULL, 0},
};
