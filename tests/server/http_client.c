#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "http_client.h"
#include "testutil.h"

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int test_cli(char **out, const char *const *args)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    char *prog = eyni_test_program("eyni");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        const char *argv[64] = {prog};
        int n = 1;
        for (int i = 0; args[i] && n < 63; i++)
            argv[n++] = args[i];
        argv[n] = NULL;
        dup2(fds[1], 1);
        close(fds[0]);
        execv(prog, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    ssize_t r;
    while ((r = read(fds[0], buf + len, cap - len - 1)) > 0) {
        len += (size_t)r;
        if (len + 1 == cap)
            buf = realloc(buf, cap *= 2);
    }
    buf[len] = '\0';
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    free(prog);
    if (out)
        *out = buf;
    else
        free(buf);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int read_port(const char *path)
{
    FILE *f = fopen(path, "r");
    int port = 0;
    if (f) {
        if (fscanf(f, "%d", &port) != 1)
            port = 0;
        fclose(f);
    }
    return port;
}

static void read_admin_token(test_server *s)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/operator.key", s->data);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(s->admin_token, sizeof s->admin_token, f));
    s->admin_token[strcspn(s->admin_token, "\n")] = '\0';
    fclose(f);
}

void test_server_start(test_server *s, const char *tag, const char *data)
{
    if (!data) {
        char *dir = eyni_test_tmpdir(tag);
        snprintf(s->data, sizeof s->data, "%s/data", dir);
        free(dir);
        const char *init[] = {"init", "--data", s->data, "--listen", "127.0.0.1:0", NULL};
        assert_int_equal(test_cli(NULL, init), 0);
    } else if (data != s->data) {
        snprintf(s->data, sizeof s->data, "%s", data);
    }
    read_admin_token(s);
    snprintf(s->port_file, sizeof s->port_file, "%s/eynid.port", s->data);
    unlink(s->port_file);
    char *prog = eyni_test_program("eynid");
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        execl(prog, prog, "--data", s->data, "--listen", "127.0.0.1:0", "--port-file", s->port_file,
              (char *)NULL);
        _exit(127);
    }
    free(prog);
    for (int i = 0; i < 200 && (s->port = read_port(s->port_file)) == 0; i++)
        sleep_ms(100);
    assert_true(s->port > 0);
    http_reply r = http_call(s, "GET", "/health", NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    http_reply_free(&r);
}

void test_server_stop(test_server *s, int hard)
{
    if (s->pid <= 0)
        return;
    kill(s->pid, hard ? SIGKILL : SIGTERM);
    int status;
    waitpid(s->pid, &status, 0);
    if (!hard)
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    s->pid = 0;
}

typedef struct sink {
    char *buf;
    size_t len;
} sink;

static size_t on_data(char *p, size_t size, size_t n, void *user)
{
    sink *k = user;
    size_t add = size * n;
    char *b = realloc(k->buf, k->len + add + 1);
    if (!b)
        return 0;
    memcpy(b + k->len, p, add);
    k->buf = b;
    k->len += add;
    b[k->len] = '\0';
    return add;
}

http_reply http_call(const test_server *s, const char *method, const char *path, const char *token,
                     const char *purpose, const char *body)
{
    return http_call_raw(s, method, path, token, purpose, "application/json", body,
                         body ? strlen(body) : 0);
}

http_reply http_call_raw(const test_server *s, const char *method, const char *path,
                         const char *token, const char *purpose, const char *content_type,
                         const void *body, size_t len)
{
    http_reply r = {0, NULL};
    CURL *c = curl_easy_init();
    assert_non_null(c);
    char url[512], auth[256], purp[512], ct[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", s->port, path);
    snprintf(ct, sizeof ct, "Content-Type: %s", content_type);
    struct curl_slist *h = curl_slist_append(NULL, ct);
    if (token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        h = curl_slist_append(h, auth);
    }
    if (purpose) {
        snprintf(purp, sizeof purp, "X-Purpose: %s", purpose);
        h = curl_slist_append(h, purp);
    }
    sink k = {NULL, 0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &k);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    if (k.buf) {
        json_error_t je;
        r.json = json_loadb(k.buf, k.len, 0, &je);
    }
    free(k.buf);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return r;
}

void http_reply_free(http_reply *r)
{
    json_decref(r->json);
    r->json = NULL;
}

char *test_make_key(const test_server *s, const char *agency, const char *role)
{
    char body[256];
    snprintf(body, sizeof body, "{\"agency\":\"%s\",\"role\":\"%s\",\"label\":\"test\"}", agency,
             role);
    http_reply r = http_call(s, "POST", "/v1/keys", s->admin_token, NULL, body);
    assert_int_equal(r.status, 201);
    char *t = strdup(json_string_value(json_object_get(r.json, "token")));
    http_reply_free(&r);
    return t;
}

char *test_b64_file(const char *rel)
{
    char *p = eyni_test_path(rel);
    unsigned char *buf;
    size_t len;
    eyni_error err;
    assert_int_equal(eyni_file_read(p, 1 << 22, &buf, &len, &err), 0);
    char *t;
    assert_int_equal(eyni_base64_encode(buf, len, &t, &err), 0);
    free(buf);
    free(p);
    return t;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_image(const char *dir, const char *name, int k)
{
    char p[4400];
    snprintf(p, sizeof p, "%s/%s/%s_000%d.jpg", dir, name, name, k);
    return access(p, R_OK) == 0;
}

int test_lfw_people(char (*names)[128], int n)
{
    char *dir = eyni_test_path("lfw-a-gray-dev/images");
    DIR *d = opendir(dir);
    assert_non_null(d);
    char *all[4096];
    int k = 0, got = 0;
    struct dirent *e;
    while ((e = readdir(d)) && k < 4096)
        if (e->d_name[0] != '.')
            all[k++] = strdup(e->d_name);
    closedir(d);
    qsort(all, (size_t)k, sizeof *all, cmp_name);
    for (int i = 0; i < k; i++) {
        if (got < n && has_image(dir, all[i], 1) && has_image(dir, all[i], 2))
            snprintf(names[got++], 128, "%s", all[i]);
        free(all[i]);
    }
    free(dir);
    return got;
}

int test_server_teardown(void **state)
{
    test_server *srv = *state;
    test_server_stop(srv, 1);
    free(srv);
    return 0;
}
