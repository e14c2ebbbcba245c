/* eynid's server module serves HTTPS with a configured certificate and key. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eyni/server.h"
#include "testutil.h"

static size_t discard(char *p, size_t s, size_t n, void *u)
{
    return s * n;
}

static long get(const char *url, const char *ca)
{
    CURL *c = curl_easy_init();
    long status = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    if (ca)
        curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    return status;
}

static void https_serves_with_the_configured_certificate(void **state)
{
    char *dir = eyni_test_tmpdir("tls");
    char cmd[9000], cert[4200], key[4200], db[4200], url[128];
    snprintf(cert, sizeof cert, "%s/server.pem", dir);
    snprintf(key, sizeof key, "%s/server.key", dir);
    snprintf(db, sizeof db, "sqlite:%s/eyni.db", dir);
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
             "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout %s -out %s "
             ">/dev/null 2>&1",
             key, cert);
    assert_int_equal(system(cmd), 0);
    eyni_register_opts ro = {db, 2, 0, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL};
    eyni_register *reg = NULL;
    eyni_error err;
    assert_int_equal(eyni_register_open(&ro, &reg, &err), 0);
    eyni_server_opts so = {"127.0.0.1:0", 2, 0, 5, NULL, cert, key, NULL, NULL};
    eyni_server *srv = NULL;
    if (eyni_server_start(reg, &so, &srv, &err))
        fail_msg("%s", err.msg);
    snprintf(url, sizeof url, "https://127.0.0.1:%d/health", eyni_server_port(srv));
    assert_int_equal(get(url, cert), 200);
    /* Without trusting our certificate the client refuses; plain HTTP gets nothing. */
    assert_int_equal(get(url, NULL), 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/health", eyni_server_port(srv));
    assert_int_equal(get(url, NULL), 0);
    eyni_server_stop(srv);
    /* A key without its certificate is a clear error. */
    eyni_server_opts half = {"127.0.0.1:0", 2, 0, 5, NULL, NULL, key, NULL, NULL};
    assert_int_equal(eyni_server_start(reg, &half, &srv, &err), EYNI_EINVAL);
    eyni_server_opts wrong = {"127.0.0.1:0", 2, 0, 5, NULL, key, cert, NULL, NULL};
    assert_int_equal(eyni_server_start(reg, &wrong, &srv, &err), EYNI_EIO);
    eyni_register_close(reg);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(https_serves_with_the_configured_certificate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
