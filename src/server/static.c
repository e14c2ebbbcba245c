/* The operator console: static files under one web directory, served read-only with a
 * strict Content-Security-Policy. A request path is checked segment by segment (no "..",
 * no hidden names, no backslashes) and the resolved file must still lie inside the
 * directory after symbolic links are followed, so no request can read anything else. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server_int.h"

#define STATIC_MAX_BYTES (8 * 1024 * 1024)

/* Scripts, styles, images and API calls come only from this server; the camera stream of
 * the registration desk is a blob: URL. Nothing may frame the console. */
static const char csp[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data: blob:; media-src 'self' blob:; "
                          "connect-src 'self'; font-src 'self'; manifest-src 'self'; "
                          "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

typedef struct ctype {
    const char *ext;
    const char *type;
} ctype;

static const ctype types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
    {NULL, NULL},
};

/* Only known kinds of file are served: anything else (a stray backup, a key) is 404. */
static const char *content_type(const char *path)
{
    const char *dot = strrchr(path, '.');
    for (const ctype *t = types; dot && t->ext; t++)
        if (strcmp(dot, t->ext) == 0)
            return t->type;
    return NULL;
}

int srv_static_path_ok(const char *path)
{
    if (path[0] != '/' || strlen(path) > 200)
        return 0;
    for (const char *s = path + 1; *s;) {
        size_t n = strcspn(s, "/");
        if (n == 0 || s[0] == '.') /* empty segment, "..", ".hidden" */
            return 0;
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c < 0x20 || c == 0x7f || c == '\\' || c == '%' || c == ':')
                return 0;
        }
        s += n;
        if (*s == '/') {
            s++;
            if (!*s)
                return 0;
        }
    }
    return 1;
}

static enum MHD_Result send_status(struct MHD_Connection *c, unsigned status, const char *text)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Content-Security-Policy", csp);
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static void security_headers(struct MHD_Response *r, const char *type)
{
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Content-Security-Policy", csp);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
    MHD_add_response_header(r, "Permissions-Policy",
                            "camera=(self), microphone=(), geolocation=()");
    MHD_add_response_header(r, "Cache-Control", "no-cache");
}

/* Opens root/path when it resolves to a regular file inside root. */
static int open_inside(const char *root, const char *path, struct stat *st)
{
    char want[PATH_MAX], real_root[PATH_MAX], real[PATH_MAX];
    if (!realpath(root, real_root))
        return -1;
    int n = snprintf(want, sizeof want, "%s%s", real_root,
                     strcmp(path, "/") == 0 ? "/index.html" : path);
    if (n < 0 || (size_t)n >= sizeof want || !realpath(want, real))
        return -1;
    size_t rl = strlen(real_root);
    if (strncmp(real, real_root, rl) != 0 || real[rl] != '/')
        return -1;
    int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode) || st->st_size > STATIC_MAX_BYTES) {
        close(fd);
        return -1;
    }
    return fd;
}

enum MHD_Result srv_static_serve(struct MHD_Connection *c, const char *root, const char *method,
                                 const char *path)
{
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return send_status(c, 405, "method not allowed\n");
    const char *type = content_type(strcmp(path, "/") == 0 ? "/index.html" : path);
    struct stat st;
    int fd = type && srv_static_path_ok(path) ? open_inside(root, path, &st) : -1;
    if (fd < 0)
        return send_status(c, 404, "not found\n");
    /* MHD closes fd when the response is destroyed */
    struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    security_headers(r, type);
    enum MHD_Result ok = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ok;
}
