/*
 * Alert webhook: each alert is POSTed as JSON to one configured URL by a thread of its own,
 * so a slow or dead receiver never holds up a camera. The queue is bounded; when it is
 * full the oldest waiting alert gives way (it is in the store already: the desk lists it),
 * counted as dropped. A failed POST (no connection, timeout, a status other than 2xx) is
 * retried after a delay that doubles, a bounded number of times, then counted as failed and
 * logged.
 */
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "video_int.h"

struct eyni_video_webhook {
    eyni_video_webhook_opts o;
    eyni_log *log;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char **q; /* ring of malloc'd JSON bodies */
    int qhead, qlen, stop;
    eyni_video_webhook_stats st;
};

static int check_opts(eyni_video_webhook_opts *o, eyni_error *err)
{
    if (!memchr(o->url, 0, sizeof o->url) ||
        (strncmp(o->url, "http://", 7) != 0 && strncmp(o->url, "https://", 8) != 0) ||
        strpbrk(o->url, " \t\r\n"))
        return eyni_error_set(err, EYNI_EINVAL, "webhook: the URL must be http:// or https://");
    if (o->queue <= 0)
        o->queue = 64;
    if (o->retries < 0 || o->retries > 10 || o->queue > EYNI_VIDEO_WEBHOOK_MAX_QUEUE)
        return eyni_error_set(err, EYNI_ELIMIT, "webhook: at most 10 retries and a queue of %d",
                              EYNI_VIDEO_WEBHOOK_MAX_QUEUE);
    if (o->backoff_ms <= 0)
        o->backoff_ms = 500;
    if (o->timeout_ms <= 0)
        o->timeout_ms = 5000;
    if (o->secret_len && (o->secret_len < EYNI_VIDEO_WEBHOOK_MIN_SECRET ||
                          o->secret_len > EYNI_VIDEO_WEBHOOK_MAX_SECRET))
        return eyni_error_set(err, EYNI_EINVAL, "webhook: the secret must be %d to %d bytes",
                              EYNI_VIDEO_WEBHOOK_MIN_SECRET, EYNI_VIDEO_WEBHOOK_MAX_SECRET);
    return 0;
}

/* The two signature headers of a body sent now (a fresh timestamp on every attempt, so a
 * receiver may refuse old ones as replays); 0, or 1 when out of memory. */
static int sign(const eyni_video_webhook *w, const char *body, struct curl_slist **hdr)
{
    char ts[32], line[128], hex[2 * EVP_MAX_MD_SIZE + 1];
    snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
    size_t n = strlen(ts) + 1 + strlen(body);
    unsigned char *msg = malloc(n + 1), mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (!msg)
        return 1;
    snprintf((char *)msg, n + 1, "%s.%s", ts, body);
    int ok = HMAC(EVP_sha256(), w->o.secret, (int)w->o.secret_len, msg, n, mac, &mac_len) != NULL;
    free(msg);
    if (!ok)
        return 1;
    eyni_hex_encode(mac, mac_len, hex);
    snprintf(line, sizeof line, "X-Eyni-Timestamp: %s", ts);
    struct curl_slist *a = curl_slist_append(*hdr, line);
    snprintf(line, sizeof line, "X-Eyni-Signature: sha256=%s", hex);
    struct curl_slist *b = a ? curl_slist_append(a, line) : NULL;
    if (a)
        *hdr = a;
    return b == NULL;
}

/* libcurl hands the receiver's answer here; it is not needed, only its status. */
static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
    (void)p, (void)ctx;
    return size * n;
}

/* One POST; 0 when the receiver answered 2xx, else a message in msg. */
static int post_once(eyni_video_webhook *w, CURL *h, const char *body, char *msg, size_t cap)
{
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    if (!hdr || (w->o.secret_len && sign(w, body, &hdr))) {
        curl_slist_free_all(hdr);
        snprintf(msg, cap, "cannot build the request (out of memory)");
        return 1;
    }
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, w->o.url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)w->o.timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)w->o.timeout_ms);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    CURLcode cc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdr);
    if (cc != CURLE_OK)
        snprintf(msg, cap, "%s", curl_easy_strerror(cc));
    else if (status < 200 || status > 299)
        snprintf(msg, cap, "receiver answered %ld", status);
    return cc != CURLE_OK || status < 200 || status > 299;
}

/* Waits ms unless stopped first (mu held); returns 1 when stopped. */
static int wait_ms(eyni_video_webhook *w, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L)
        ts.tv_sec++, ts.tv_nsec -= 1000000000L;
    while (!w->stop && pthread_cond_timedwait(&w->cv, &w->mu, &ts) == 0)
        ;
    return w->stop;
}

/* Delivers one body with retries; called and returns with mu held. */
static void deliver(eyni_video_webhook *w, CURL *h, const char *body)
{
    char msg[256] = "";
    int delay = w->o.backoff_ms;
    for (int attempt = 0; attempt <= w->o.retries; attempt++) {
        if (attempt > 0 && wait_ms(w, delay))
            break;
        delay = delay > 30000 ? 60000 : delay * 2;
        w->st.attempts++;
        pthread_mutex_unlock(&w->mu);
        int bad = post_once(w, h, body, msg, sizeof msg);
        pthread_mutex_lock(&w->mu);
        if (!bad) {
            w->st.sent++;
            return;
        }
    }
    w->st.failed++;
    snprintf(w->st.last_error, sizeof w->st.last_error, "%s", msg[0] ? msg : "stopped");
    pthread_mutex_unlock(&w->mu);
    eyni_log_write(w->log, EYNI_LOG_ERROR, "video_webhook", "alert not delivered to %s: %s",
                   w->o.url, msg[0] ? msg : "stopped before it could be sent");
    pthread_mutex_lock(&w->mu);
}

static void *sender(void *arg)
{
    eyni_video_webhook *w = arg;
    CURL *h = curl_easy_init();
    pthread_mutex_lock(&w->mu);
    while (!w->stop) {
        if (w->qlen == 0) {
            pthread_cond_wait(&w->cv, &w->mu);
            continue;
        }
        char *body = w->q[w->qhead];
        w->q[w->qhead] = NULL;
        w->qhead = (w->qhead + 1) % w->o.queue;
        w->qlen--;
        w->st.waiting = w->qlen;
        w->st.in_flight = 1;
        if (h)
            deliver(w, h, body);
        else
            w->st.failed++;
        w->st.in_flight = 0;
        free(body);
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    curl_easy_cleanup(h);
    return NULL;
}

int eyni_video_webhook_start(const eyni_video_webhook_opts *opts, eyni_log *log,
                             eyni_video_webhook **out, eyni_error *err)
{
    eyni_video_webhook_opts o = *opts;
    int rc = check_opts(&o, err);
    if (rc)
        return rc;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return eyni_error_set(err, EYNI_EINTERNAL, "webhook: libcurl cannot start");
    eyni_video_webhook *w = calloc(1, sizeof *w);
    char **q = calloc((size_t)o.queue, sizeof *q);
    if (!w || !q) {
        free(w), free(q);
        return eyni_error_set(err, EYNI_ENOMEM, "webhook: out of memory");
    }
    w->o = o, w->log = log, w->q = q;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->thread, NULL, sender, w)) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        free(q), free(w);
        return eyni_error_set(err, EYNI_EINTERNAL, "webhook: cannot start a thread");
    }
    *out = w;
    return 0;
}

int eyni_video_webhook_post(eyni_video_webhook *w, const char *json, eyni_error *err)
{
    char *body = strdup(json);
    if (!body)
        return eyni_error_set(err, EYNI_ENOMEM, "webhook: out of memory");
    int dropped = 0;
    pthread_mutex_lock(&w->mu);
    if (w->qlen == w->o.queue) { /* never wait: the oldest waiting alert gives way */
        free(w->q[w->qhead]);
        w->q[w->qhead] = NULL;
        w->qhead = (w->qhead + 1) % w->o.queue;
        w->qlen--;
        w->st.dropped++;
        dropped = 1;
    }
    w->q[(w->qhead + w->qlen) % w->o.queue] = body;
    w->qlen++;
    w->st.queued++;
    w->st.waiting = w->qlen;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    if (dropped)
        eyni_log_write(w->log, EYNI_LOG_WARN, "video_webhook",
                       "queue full (%d): the oldest waiting alert was dropped", w->o.queue);
    return 0;
}

int eyni_video_webhook_drain(eyni_video_webhook *w, int timeout_ms)
{
    double end = eyni_time_ms() + timeout_ms;
    pthread_mutex_lock(&w->mu);
    while ((w->qlen > 0 || w->st.in_flight) && !w->stop && eyni_time_ms() < end)
        wait_ms(w, 20);
    int idle = w->qlen == 0 && !w->st.in_flight;
    pthread_mutex_unlock(&w->mu);
    return idle;
}

void eyni_video_webhook_stats_get(eyni_video_webhook *w, eyni_video_webhook_stats *st)
{
    pthread_mutex_lock(&w->mu);
    *st = w->st;
    pthread_mutex_unlock(&w->mu);
}

void eyni_video_webhook_stop(eyni_video_webhook *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    for (int i = 0; i < w->qlen; i++)
        free(w->q[(w->qhead + i) % w->o.queue]);
    free(w->q);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    OPENSSL_cleanse(w->o.secret, sizeof w->o.secret);
    free(w);
    curl_global_cleanup();
}
