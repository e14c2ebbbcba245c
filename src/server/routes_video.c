/* /v1/watch/...: the video desk (cameras, alerts, decisions, snapshots, the event stream). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eyni/video_desk.h"
#include "server_int.h"

/* The id in a path: what names the kind of record for the message. */
static int record_id(const char *s, const char *what, long long *id, eyni_error *err)
{
    char *end;
    *id = strtoll(s, &end, 10);
    if (*end || *id <= 0)
        return eyni_error_set(err, EYNI_EFORMAT, "'%.20s' is not a%s %s id", s,
                              strchr("aeiou", what[0]) ? "n" : "", what);
    return 0;
}

/* A stream address may carry the camera's password (rtsp://user:pass@host/...): the store
 * keeps it sealed and lists user:*** (schema version 18); an address stored earlier and not
 * yet sealed by the video service is masked here all the same. */
static void hide_password(json_t *camera)
{
    const char *url = json_string_value(json_object_get(camera, "url"));
    char masked[EYNI_DESK_MAX_URL];
    if (url && eyni_desk_url_masked(url, masked, sizeof masked))
        json_object_set_new(camera, "url", json_string(masked));
}

static int camera_add(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    json_t *in;
    int rc = srv_body_json(rq, &in, err);
    if (rc == 0)
        rc = eyni_desk_camera_add(rq->reg, &rq->actor, in, out, err);
    if (rc == 0)
        hide_password(*out);
    json_decref(in);
    *status = 201;
    return rc;
}

static int camera_list(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    int rc = eyni_desk_camera_list(rq->reg, &rq->actor, out, err);
    json_t *all = rc == 0 ? json_object_get(*out, "cameras") : NULL;
    for (size_t i = 0; i < json_array_size(all); i++)
        hide_password(json_array_get(all, i));
    return rc;
}

/* One camera with its statistics as the video service last reported them. */
static int camera_get(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    long long id;
    int rc = record_id(rq->params[0], "camera", &id, err);
    if (rc == 0)
        rc = eyni_desk_camera_get(rq->reg, &rq->actor, id, out, err);
    if (rc == 0)
        hide_password(*out);
    return rc;
}

/* Removal stops the worker (at the service's next look) and keeps the camera's alerts. */
static int camera_remove(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    long long id;
    char name[80] = "";
    int rc = record_id(rq->params[0], "camera", &id, err);
    if (rc == 0)
        rc = eyni_desk_camera_remove(rq->reg, &rq->actor, id, name, sizeof name, err);
    if (rc == 0)
        *out = json_pack("{s:I,s:s,s:b}", "id", (json_int_t)id, "name", name, "removed", 1);
    return rc;
}

static int event_list(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    long long after, limit;
    int rc = srv_query_int(rq, "after", 0, 0, INT64_MAX, &after, err);
    if (rc == 0)
        rc = srv_query_int(rq, "limit", 100, 1, 1000, &limit, err);
    if (rc == 0)
        rc = eyni_desk_alert_list(rq->reg, &rq->actor, after, srv_query(rq, "decision"), (int)limit,
                                  out, err);
    return rc;
}

/* An event about alert id (d, stolen) to the desks that may see the alert. */
static void push_about(srv_request *rq, const char *name, long long id, json_t *d)
{
    eyni_error perr = {0};
    eyni_desk_audience aud;
    if (d && rq->events && eyni_desk_alert_audience(rq->reg, id, &aud, &perr) == 0) {
        eyni_events_audience to = {aud.owner, aud.visible};
        (void)eyni_events_publish(rq->events, name, 0, d, aud.restricted ? &to : NULL, &perr);
    } /* else the store has it; desks see it at their next read */
    json_decref(d);
}

/* Every desk that may see the alert hears of a decision, so an alert decided on one leaves
 * the others' open lists. */
static void push_decision(srv_request *rq, long long id, const char *decision, int lookalike)
{
    push_about(rq, "decision", id,
               json_pack("{s:I,s:s,s:s,s:b}", "id", (json_int_t)id, "decision", decision,
                         "decided_by", rq->actor.id, "lookalike", lookalike));
}

/* The id of the path and a body {"reason"} (required by the register): acts that undo. */
static int reason_body(srv_request *rq, const char *what, long long *id, json_t **in,
                       const char **reason, eyni_error *err)
{
    static const char *const keys[] = {"reason", NULL};
    *in = NULL;
    int rc = record_id(rq->params[0], what, id, err);
    if (rc == 0)
        rc = srv_body_json(rq, in, err);
    if (rc == 0)
        rc = eyni_json_check_keys(*in, keys, err);
    if (rc == 0)
        rc = eyni_json_get_string(*in, "reason", EYNI_TEXT_MAX, reason, err);
    return rc;
}

/* A look-alike dismissed wrongly: the mark goes (the cameras forget the face within a poll),
 * the reason is audited. */
static int event_revoke_lookalike(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    long long id;
    json_t *in = NULL;
    const char *reason = NULL;
    int rc = reason_body(rq, "alert", &id, &in, &reason, err);
    if (rc == 0)
        rc = eyni_desk_lookalike_revoke(rq->reg, &rq->actor, id, reason, err);
    if (rc == 0) {
        push_about(rq, "lookalike", id,
                   json_pack("{s:I,s:b,s:s}", "id", (json_int_t)id, "lookalike", 0, "revoked_by",
                             rq->actor.id));
        *out = json_pack("{s:I,s:b}", "id", (json_int_t)id, "lookalike", 0);
    }
    json_decref(in);
    return rc;
}

static int event_decide(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    static const char *const keys[] = {"decision", "note", "lookalike", NULL};
    long long id;
    json_t *in = NULL;
    const char *decision = NULL, *note = NULL;
    int lookalike = 0;
    int rc = record_id(rq->params[0], "alert", &id, err);
    if (rc == 0)
        rc = srv_body_json(rq, &in, err);
    if (rc == 0)
        rc = eyni_json_check_keys(in, keys, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "decision", 32, &decision, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "note", EYNI_TEXT_MAX, &note, err);
    if (rc == 0)
        rc = eyni_json_get_bool(in, "lookalike", &lookalike, err);
    if (rc == 0)
        rc = eyni_desk_alert_decide(rq->reg, &rq->actor, id, decision, note, lookalike, err);
    if (rc == 0) {
        push_decision(rq, id, decision, lookalike);
        *out = json_pack("{s:I,s:s,s:b}", "id", (json_int_t)id, "decision", decision, "lookalike",
                         lookalike);
    }
    json_decref(in);
    return rc;
}

static int event_snapshot(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    long long id;
    unsigned char *jpeg = NULL;
    size_t len = 0;
    char *b64 = NULL;
    int rc = record_id(rq->params[0], "alert", &id, err);
    if (rc == 0)
        rc = eyni_desk_alert_snapshot(rq->reg, &rq->actor, id, &jpeg, &len, err);
    if (rc == 0)
        rc = eyni_base64_encode(jpeg, len, &b64, err);
    if (rc == 0)
        *out = json_pack("{s:I,s:s,s:s}", "id", (json_int_t)id, "content_type", "image/jpeg",
                         "image", b64);
    free(jpeg);
    free(b64);
    return rc;
}

/* The wanted faces without their templates; ?removed=1 lists the removed ones too. With
 * video.watchlists, the entries of those lists that the cameras look for follow under
 * "watchlist" (removed there, not here). */
static int wanted_list(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    long long removed;
    int rc = srv_query_int(rq, "removed", 0, 0, 1, &removed, err);
    if (rc == 0)
        rc = eyni_desk_wanted_list(rq->reg, &rq->actor, (int)removed, out, err);
    const char *codes = rq->wanted->watchlists;
    if (rc || !codes || !*codes)
        return rc;
    json_t *listed = NULL;
    rc = eyni_desk_watch_listed(rq->reg, &rq->actor, codes, &listed, err);
    if (rc) {
        json_decref(*out);
        *out = NULL;
        return rc;
    }
    json_object_set_new(*out, "watchlist", listed);
    json_object_set_new(*out, "watchlists", json_string(codes));
    return 0;
}

/* A wanted face from a photo: {"label","fin","reason","photo": base64 JPEG or PNG}; 201 with
 * its id and the photo's enrolment check (warnings when it will match badly in video). */
static int wanted_add(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    static const char *const keys[] = {"label", "fin", "reason", "photo", NULL};
    const char *label = NULL, *fin = NULL, *reason = NULL, *photo = NULL;
    unsigned char *img = NULL;
    size_t len = 0;
    float emb[EYNI_FACE_DIM], blurred[EYNI_FACE_DIM];
    int copy = 0;
    long long id = 0;
    json_t *in = NULL, *quality = NULL;
    int rc = eyni_desk_require(rq->reg, &rq->actor, err);
    if (rc == 0 && !rq->wanted->fn)
        rc = eyni_error_set(err, EYNI_EMODEL, "this server runs no video service (video.enabled)");
    if (rc == 0)
        rc = srv_body_json(rq, &in, err);
    if (rc == 0)
        rc = eyni_json_check_keys(in, keys, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "label", 127, &label, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "fin", 32, &fin, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "reason", EYNI_TEXT_MAX, &reason, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "photo", SIZE_MAX, &photo, err);
    /* what the record will refuse is refused before the photo is worked on */
    if (rc == 0 && (!label || !*label || !reason || !*reason))
        rc = eyni_error_set(err, EYNI_EFORMAT, "a wanted face needs a label and its legal reason");
    if (rc == 0 && !photo)
        rc = eyni_error_set(err, EYNI_EFORMAT, "photo: a base64 JPEG or PNG is required");
    if (rc == 0)
        rc = eyni_base64_decode(photo, strlen(photo), &img, &len, err);
    if (rc == 0)
        rc = rq->wanted->fn(rq->wanted->ctx, img, len, emb, blurred, &copy, &quality, err);
    if (rc == 0)
        rc = eyni_desk_wanted_add(rq->reg, &rq->actor, label, fin, reason, emb,
                                  copy ? blurred : NULL, &id, err);
    if (rc == 0) {
        *out = json_pack("{s:I,s:s,s:O}", "id", (json_int_t)id, "label", label, "quality", quality);
        *status = 201;
    }
    json_decref(quality);
    json_decref(in);
    free(img);
    return rc;
}

/* A warrant ended: the running cameras stop matching the face within a poll. */
static int wanted_remove(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    long long id;
    json_t *in = NULL;
    const char *reason = NULL;
    int rc = reason_body(rq, "wanted", &id, &in, &reason, err);
    if (rc == 0)
        rc = eyni_desk_wanted_remove(rq->reg, &rq->actor, id, reason, err);
    if (rc == 0)
        *out = json_pack("{s:I,s:b}", "id", (json_int_t)id, "removed", 1);
    json_decref(in);
    return rc;
}

/* The stream is as personal as the alerts: same role check, the subscription audited, and
 * alerts from watchlists only to the agencies that may read the list. */
static int event_stream(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    if (!rq->events)
        return eyni_error_set(err, EYNI_ECONFLICT, "this server pushes no events");
    json_t *probe = NULL;
    int rc = eyni_desk_alert_list(rq->reg, &rq->actor, INT64_MAX - 1, NULL, 1, &probe, err);
    json_decref(probe);
    if (rc == 0)
        rc = eyni_register_audit_event(rq->reg, &rq->actor, "video.events.subscribe", "video-alert",
                                       "ok", NULL, err);
    if (rc == 0)
        rc = srv_stream_open(
            rq->events, rq->conn,
            &(eyni_events_subscriber){rq->actor.agency, rq->actor.role == EYNI_ROLE_OPERATOR},
            &rq->stream, err);
    return rc;
}

const srv_route srv_routes_video[] = {
    {"POST", "/v1/watch/cameras", camera_add, 1},
    {"GET", "/v1/watch/cameras", camera_list, 1},
    {"GET", "/v1/watch/cameras/{}", camera_get, 1},
    {"DELETE", "/v1/watch/cameras/{}", camera_remove, 1},
    {"GET", "/v1/watch/events", event_list, 1},
    {"GET", "/v1/watch/events/stream", event_stream, 1},
    {"POST", "/v1/watch/events/{}/decision", event_decide, 1},
    {"POST", "/v1/watch/events/{}/revoke-lookalike", event_revoke_lookalike, 1},
    {"GET", "/v1/watch/events/{}/snapshot", event_snapshot, 1},
    {"GET", "/v1/watch/wanted", wanted_list, 1},
    {"POST", "/v1/watch/wanted", wanted_add, 1},
    {"POST", "/v1/watch/wanted/{}/remove", wanted_remove, 1},
    {NULL, NULL, NULL, 0},
};
