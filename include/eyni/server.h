/*
 * eyni/server.h - the HTTP/JSON API (libmicrohttpd) in front of the register.
 *
 * Requests authenticate with "Authorization: Bearer <API key>", state their purpose in
 * "X-Purpose" when they touch personal data, and send JSON bodies no larger than
 * max_body. Errors come back as {"error": {"code", "message"}} with a 4xx/5xx status.
 */
#ifndef EYNI_SERVER_H
#define EYNI_SERVER_H

#include "eyni/base.h"
#include "eyni/dnareg.h"
#include "eyni/identity.h"
#include "eyni/register.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EYNI_SERVER_MAX_BODY_DEFAULT (16 * 1024 * 1024) /* a face and ten fingers in base64 */

typedef struct eyni_server eyni_server;

/* Embedding of wanted photos for POST /v1/watch/wanted, lent by the video service (the
 * server loads no face model of its own): fn fills emb and, when it sets *copy, blurred
 * (EYNI_FACE_DIM floats each), and *quality with the photo's enrolment check. */
typedef struct eyni_server_wanted_embedder {
    int (*fn)(void *ctx, const unsigned char *img, size_t len, float *emb, float *blurred,
              int *copy, json_t **quality, eyni_error *err);
    void *ctx;
    const char *watchlists; /* video.watchlists: the lists whose faces the cameras look for,
                               listed beside the wanted faces; NULL or "": none */
} eyni_server_wanted_embedder;

typedef struct eyni_server_opts {
    const char *listen; /* "127.0.0.1:8080" or "[::1]:8080"; port 0 picks a free one */
    int threads;        /* worker threads; 0 = 4 */
    size_t max_body;    /* bytes; 0 = EYNI_SERVER_MAX_BODY_DEFAULT */
    int timeout_s;      /* idle connection timeout; 0 = 30 */
    eyni_log *log;      /* request log; may be NULL */
    const char *tls_cert; /* PEM certificate chain file: serve HTTPS when set */
    const char *tls_key;  /* PEM private key file (unencrypted; keep it mode 0600) */
    eyni_identity *identity; /* biometric services; NULL answers them with 503 */
    eyni_dnareg *dna;        /* DNA service; NULL answers it with 503 */
    struct eyni_events *events; /* pushed events (video alerts); NULL: no event stream */
    const char *web_dir;     /* operator console files served outside /v1; NULL or "": none */
    eyni_server_wanted_embedder wanted; /* fn NULL: POST /v1/watch/wanted answers 503 */
} eyni_server_opts;

/* Starts serving reg in background threads; reg must outlive the server. */
int eyni_server_start(eyni_register *reg, const eyni_server_opts *opts, eyni_server **out,
                      eyni_error *err);
/* The bound port (useful with port 0). */
int eyni_server_port(const eyni_server *srv);
/* Stops accepting, finishes requests in flight, and frees the server. */
void eyni_server_stop(eyni_server *srv);

/* Reads server.listen, server.threads, server.max_body, server.timeout, server.tls_cert,
 * server.tls_key and server.web_dir (default: the console of the source tree) from cfg. */
int eyni_server_opts_from_config(const eyni_config *cfg, eyni_server_opts *opts,
                                 eyni_error *err);

#ifdef __cplusplus
}
#endif
#endif
