/* Module-private pieces of the HTTP server: requests, routes and handlers. */
#ifndef EYNI_SERVER_INT_H
#define EYNI_SERVER_INT_H

#include <microhttpd.h>

#include "eyni/events.h"
#include "eyni/server.h"

/* events.c: one Server-Sent Events subscriber; the server turns a request whose handler
 * set rq->stream into a streamed response read by srv_stream_read. */
typedef struct srv_stream srv_stream;
int srv_stream_open(eyni_events *ev, struct MHD_Connection *conn,
                    const eyni_events_subscriber *who, srv_stream **out, eyni_error *err);
ssize_t srv_stream_read(void *cls, uint64_t pos, char *buf, size_t max);
void srv_stream_free(void *cls);

#define SRV_MAX_PARAMS 4
#define SRV_PARAM_MAX 64

typedef struct srv_request {
    struct MHD_Connection *conn;
    eyni_register *reg;
    eyni_identity *identity;
    eyni_dnareg *dna;
    const char *method;
    const char *path;
    char *body;
    size_t body_len;
    char params[SRV_MAX_PARAMS][SRV_PARAM_MAX]; /* captured {segments} of the path */
    eyni_actor actor;                           /* filled when the route needs a key */
    eyni_events *events;                        /* NULL when the server pushes no events */
    const eyni_server_wanted_embedder *wanted;  /* embeds wanted photos (fn NULL: none) */
    srv_stream *stream;                         /* set by a handler that answers a stream */
} srv_request;

/* A handler returns 0 with *out (and *status, default 200) or an error code in err. */
typedef int (*srv_handler)(srv_request *rq, json_t **out, int *status, eyni_error *err);

typedef struct srv_route {
    const char *method;
    const char *pattern; /* "/v1/persons/{}" : {} captures one segment */
    srv_handler fn;
    int auth;            /* 1: needs an API key */
} srv_route;

/* Route tables of each area (routes_*.c), terminated by a NULL method. */
extern const srv_route srv_routes_person[];
extern const srv_route srv_routes_admin[];
extern const srv_route srv_routes_blank[];
extern const srv_route srv_routes_watch[];
extern const srv_route srv_routes_identity[];
extern const srv_route srv_routes_border[];
extern const srv_route srv_routes_dna[];

/* routes_dna.c: a DNA reference sent with an enrolment is checked before the enrolment and
 * stored for the new FIN after it; the outcome is reported under "dna" in reply. */
int srv_dna_enrol_check(srv_request *rq, const json_t *profile, eyni_error *err);
void srv_dna_enrol_store(srv_request *rq, const json_t *profile, json_t *reply);
extern const srv_route srv_routes_video[];
extern const srv_route srv_routes_console[];

/* Dispatch of one complete request; fills the status and the JSON reply. */
void srv_dispatch(srv_request *rq, int *status, json_t **reply);
/* The HTTP status for an error code. */
int srv_status_of(int code);
json_t *srv_error_body(const eyni_error *err);

/* Request helpers for handlers. */
const char *srv_query(srv_request *rq, const char *name);
int srv_body_json(srv_request *rq, json_t **out, eyni_error *err);
/* Integer query parameter in [min, max], def when absent. */
int srv_query_int(srv_request *rq, const char *name, long long def, long long min,
                  long long max, long long *out, eyni_error *err);

/* multipart.c: multipart/form-data bodies - a JSON part "request" (the document a JSON
 * body would carry) and file parts the document names, e.g. {"part": "face1"}. */
#define SRV_PARTS_MAX        64
#define SRV_PART_NAME_MAX    64
#define SRV_REQUEST_PART     "request"
#define SRV_REQUEST_PART_MAX (1024 * 1024)
typedef struct srv_part {
    char name[SRV_PART_NAME_MAX + 1];
    unsigned char *data;
    size_t len, cap;
    int used;
} srv_part;
typedef struct srv_parts srv_parts;
srv_parts *srv_parts_new(size_t part_max);
void srv_parts_free(srv_parts *p);
/* One piece of part name at byte off (as the post processor delivers them); ELIMIT past
 * part_max (SRV_REQUEST_PART_MAX for "request") or SRV_PARTS_MAX parts, EFORMAT for a
 * repeated or bad name. */
int srv_parts_add(srv_parts *p, const char *name, uint64_t off, const char *data, size_t size,
                  eyni_error *err);
/* The part called name, marked used; NULL (EFORMAT) when absent, empty or already used. */
const srv_part *srv_parts_use(srv_parts *p, const char *name, eyni_error *err);
/* EFORMAT naming a part nothing used (a file sent but never referred to). */
int srv_parts_all_used(const srv_parts *p, eyni_error *err);
/* The "request" part parsed as a JSON object. */
int srv_parts_request(srv_parts *p, json_t **out, eyni_error *err);
int srv_is_multipart(srv_request *rq);
/* Parses a multipart/form-data body with the connection's boundary; EFORMAT for a missing
 * boundary, bad framing or a truncated body. */
int srv_body_parts(srv_request *rq, size_t part_max, srv_parts **out, eyni_error *err);
/* The request document of a JSON body (*parts NULL), or of a multipart body's "request"
 * part with the parts in *parts (caller frees both). */
int srv_body_doc(srv_request *rq, size_t part_max, json_t **in, srv_parts **parts,
                 eyni_error *err);

/* static.c: the operator console. 1 when a request path may name a console file. */
int srv_static_path_ok(const char *path);
/* Answers GET/HEAD of path from the files under root (404 for anything else). */
enum MHD_Result srv_static_serve(struct MHD_Connection *c, const char *root, const char *method,
                                 const char *path);

#endif
