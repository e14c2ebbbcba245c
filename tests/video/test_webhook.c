/*
 * The alert webhook against a receiver on loopback: delivery with the JSON body, retries
 * after refusals, giving up (counted) on a dead receiver, the bounded queue dropping its
 * oldest while the receiver hangs, URLs that are refused, and signed deliveries.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "eyni/video.h"
#include "receiver.h"
#include "testutil.h"

static eyni_video_webhook *start(int port, int retries, int queue, int timeout_ms)
{
    eyni_video_webhook_opts o = {
        .retries = retries, .queue = queue, .backoff_ms = 20, .timeout_ms = timeout_ms};
    snprintf(o.url, sizeof o.url, "http://127.0.0.1:%d/alerts", port);
    eyni_video_webhook *w = NULL;
    eyni_error err = {0};
    assert_int_equal(eyni_video_webhook_start(&o, NULL, &w, &err), 0);
    return w;
}

static void test_delivery_and_retries(void **state)
{
    receiver r;
    receiver_start(&r, 2); /* the first two attempts are refused with 503 */
    eyni_video_webhook *w = start(r.port, 3, 8, 5000);
    eyni_error err = {0};
    assert_int_equal(eyni_video_webhook_post(w, "{\"id\":1,\"label\":\"A\"}", &err), 0);
    assert_int_equal(eyni_video_webhook_post(w, "{\"id\":2,\"label\":\"B\"}", &err), 0);
    assert_true(eyni_video_webhook_drain(w, 30000));
    eyni_video_webhook_stats st;
    eyni_video_webhook_stats_get(w, &st);
    assert_int_equal(st.queued, 2);
    assert_int_equal(st.sent, 2);
    assert_int_equal(st.failed, 0);
    assert_int_equal(st.attempts, 4); /* 503, 503, 200 for the first; 200 for the second */
    assert_int_equal(receiver_count(&r), 2);
    json_t *a = json_loads(r.bodies[0], 0, NULL), *b = json_loads(r.bodies[1], 0, NULL);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(json_integer_value(json_object_get(a, "id")), 1); /* in order */
    assert_string_equal(json_string_value(json_object_get(b, "label")), "B");
    json_decref(a);
    json_decref(b);
    eyni_video_webhook_stop(w);
    receiver_stop(&r);
}

/* The value of a header line in a request head, copied into out ("" when absent). */
static void header(const char *head, const char *name, char *out, size_t cap)
{
    const char *p = strcasestr(head, name);
    out[0] = 0;
    if (p)
        snprintf(out, cap, "%.*s", (int)strcspn(p + strlen(name), "\r\n"), p + strlen(name));
}

/* With a secret every POST carries a timestamp and the HMAC-SHA256 of "<timestamp>.<body>"
 * (computed here with OpenSSL on its own); without one, neither header. A secret too short
 * to be one is refused. */
static void test_signed(void **state)
{
    static const char key[] = "8d1f6c0a97b2e4f3a5c6d7e8f9012345";
    receiver r;
    receiver_start(&r, 0);
    eyni_video_webhook_opts o = {.retries = 1, .queue = 8, .backoff_ms = 20, .timeout_ms = 5000};
    snprintf(o.url, sizeof o.url, "http://127.0.0.1:%d/alerts", r.port);
    memcpy(o.secret, key, 12);
    o.secret_len = 12;
    eyni_video_webhook *w = NULL;
    eyni_error err = {0};
    assert_int_equal(eyni_video_webhook_start(&o, NULL, &w, &err), EYNI_EINVAL);
    memcpy(o.secret, key, strlen(key));
    o.secret_len = strlen(key);
    assert_int_equal(eyni_video_webhook_start(&o, NULL, &w, &err), 0);
    const char *body = "{\"id\":7,\"label\":\"A\"}";
    assert_int_equal(eyni_video_webhook_post(w, body, &err), 0);
    assert_true(eyni_video_webhook_drain(w, 30000));
    eyni_video_webhook_stop(w);
    assert_int_equal(receiver_count(&r), 1);
    char ts[64], sig[160], want[160] = "sha256=", msg[256];
    header(r.heads[0], "X-Eyni-Timestamp: ", ts, sizeof ts);
    header(r.heads[0], "X-Eyni-Signature: ", sig, sizeof sig);
    long long t = atoll(ts);
    assert_true(llabs(t - (long long)time(NULL)) < 60);
    snprintf(msg, sizeof msg, "%s.%s", ts, body);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    assert_non_null(HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)msg,
                         strlen(msg), mac, &n));
    for (unsigned i = 0; i < n; i++)
        snprintf(want + 7 + 2 * i, 3, "%02x", mac[i]);
    assert_string_equal(sig, want);
    receiver_stop(&r);
    /* unsigned: no signature headers */
    receiver_start(&r, 0);
    w = start(r.port, 1, 8, 5000);
    assert_int_equal(eyni_video_webhook_post(w, body, &err), 0);
    assert_true(eyni_video_webhook_drain(w, 30000));
    eyni_video_webhook_stop(w);
    assert_int_equal(receiver_count(&r), 1);
    assert_null(strcasestr(r.heads[0], "X-Eyni-Signature"));
    receiver_stop(&r);
}

static void test_gives_up(void **state)
{
    receiver r;
    receiver_start(&r, 1000); /* refuses everything */
    eyni_video_webhook *w = start(r.port, 2, 8, 5000);
    eyni_error err = {0};
    assert_int_equal(eyni_video_webhook_post(w, "{\"id\":1}", &err), 0);
    assert_true(eyni_video_webhook_drain(w, 30000));
    eyni_video_webhook_stats st;
    eyni_video_webhook_stats_get(w, &st);
    assert_int_equal(st.attempts, 3); /* one try and two retries, then no more */
    assert_int_equal(st.failed, 1);
    assert_int_equal(st.sent, 0);
    assert_non_null(strstr(st.last_error, "503"));
    assert_int_equal(receiver_requests(&r), 3);
    eyni_video_webhook_stop(w);
    receiver_stop(&r);
    /* nobody listening any more: a connection error, counted the same way */
    w = start(r.port, 1, 8, 2000);
    assert_int_equal(eyni_video_webhook_post(w, "{\"id\":2}", &err), 0);
    assert_true(eyni_video_webhook_drain(w, 30000));
    eyni_video_webhook_stats_get(w, &st);
    assert_int_equal(st.failed, 1);
    assert_int_equal(st.attempts, 2);
    assert_true(st.last_error[0] != 0);
    eyni_video_webhook_stop(w);
}

static void test_bounded_queue(void **state)
{
    receiver r;
    receiver_start(&r, 0);
    receiver_set_hold(&r, 1); /* connections wait in the backlog: the first POST hangs */
    eyni_video_webhook *w = start(r.port, 0, 2, 20000);
    eyni_error err = {0};
    eyni_video_webhook_stats st;
    assert_int_equal(eyni_video_webhook_post(w, "{\"id\":0}", &err), 0);
    for (int i = 0; i < 3000; i++) { /* until the sender has taken it off the queue (30 s) */
        eyni_video_webhook_stats_get(w, &st);
        if (st.in_flight && st.waiting == 0)
            break;
        usleep(10000);
    }
    assert_int_equal(st.in_flight, 1);
    for (int i = 1; i <= 5; i++) { /* posting never waits for the receiver */
        char body[32];
        snprintf(body, sizeof body, "{\"id\":%d}", i);
        assert_int_equal(eyni_video_webhook_post(w, body, &err), 0);
    }
    eyni_video_webhook_stats_get(w, &st);
    assert_int_equal(st.waiting, 2);
    assert_int_equal(st.dropped, 3); /* 1, 2 and 3 gave way to 4 and 5 */
    receiver_set_hold(&r, 0);
    assert_true(eyni_video_webhook_drain(w, 30000));
    assert_int_equal(receiver_wait(&r, 3, 10), 3);
    json_t *last = json_loads(r.bodies[2], 0, NULL);
    assert_int_equal(json_integer_value(json_object_get(last, "id")), 5);
    json_decref(last);
    eyni_video_webhook_stats_get(w, &st);
    assert_int_equal(st.sent, 3);
    eyni_video_webhook_stop(w);
    receiver_stop(&r);
}

static void test_bad_urls(void **state)
{
    static const char *bad[] = {"ftp://127.0.0.1/x", "file:///etc/passwd", "127.0.0.1:80",
                                "http://a b/", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        eyni_video_webhook_opts o = {0};
        snprintf(o.url, sizeof o.url, "%s", bad[i]);
        eyni_video_webhook *w = NULL;
        eyni_error err = {0};
        assert_int_equal(eyni_video_webhook_start(&o, NULL, &w, &err), EYNI_EINVAL);
        assert_null(w);
    }
    eyni_video_webhook_opts o = {.retries = 11};
    snprintf(o.url, sizeof o.url, "http://127.0.0.1:9/");
    eyni_video_webhook *w = NULL;
    eyni_error err = {0};
    assert_int_equal(eyni_video_webhook_start(&o, NULL, &w, &err), EYNI_ELIMIT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signed),   cmocka_unit_test(test_delivery_and_retries),
        cmocka_unit_test(test_gives_up), cmocka_unit_test(test_bounded_queue),
        cmocka_unit_test(test_bad_urls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
