/* Whole-file reads with a size cap, atomic writes, directories, randomness and hashing. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "eyni/base.h"

int eyni_file_read(const char *path, size_t max, unsigned char **buf, size_t *len,
                   eyni_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return eyni_error_set(err, errno == ENOENT ? EYNI_ENOTFOUND : EYNI_EIO, "%s: %s", path,
                              strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return eyni_error_set(err, EYNI_EIO, "%s: not a regular file", path);
    }
    if ((unsigned long long)st.st_size > max) {
        close(fd);
        return eyni_error_set(err, EYNI_ELIMIT, "%s: %lld bytes, limit is %zu", path,
                              (long long)st.st_size, max);
    }
    size_t n = (size_t)st.st_size;
    unsigned char *b = malloc(n + 1);
    if (!b) {
        close(fd);
        return eyni_error_set(err, EYNI_ENOMEM, "%s: out of memory for %zu bytes", path, n);
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, b + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (got != n) {
        free(b);
        return eyni_error_set(err, EYNI_EIO, "%s: short read (%zu of %zu bytes)", path, got, n);
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return 0;
}

int eyni_file_write_atomic(const char *path, const void *buf, size_t len, unsigned mode,
                           eyni_error *err)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp)
        return eyni_error_set(err, EYNI_ELIMIT, "%.200s: path too long", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
    if (fd < 0)
        return eyni_error_set(err, EYNI_EIO, "%s: %s", tmp, strerror(errno));
    const unsigned char *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, p + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    int ok = done == len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return eyni_error_set(err, EYNI_EIO, "%s: write failed: %s", path, strerror(e));
    }
    return 0;
}

int eyni_dir_make(const char *path, eyni_error *err)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf)
        return eyni_error_set(err, EYNI_EINVAL, "directory path empty or too long");
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            return eyni_error_set(err, EYNI_EIO, "%s: %s", buf, strerror(errno));
        buf[i] = c;
    }
    return 0;
}

int eyni_random_bytes(void *buf, size_t len, eyni_error *err)
{
    if (len > (size_t)0x7fffffff || RAND_bytes(buf, (int)len) != 1)
        return eyni_error_set(err, EYNI_ECRYPTO, "random generator failed");
    return 0;
}

void eyni_hex_encode(const void *buf, size_t len, char *out)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = buf;
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex[p[i] >> 4];
        out[2 * i + 1] = hex[p[i] & 15];
    }
    out[2 * len] = '\0';
}

void eyni_sha256(const void *buf, size_t len, unsigned char out[32])
{
    unsigned int n = 32;
    EVP_Digest(buf, len, out, &n, EVP_sha256(), NULL);
}

int eyni_sha256_file_check(const char *path, const char *hex, eyni_error *err)
{
    unsigned char *buf;
    size_t len;
    int rc = eyni_file_read(path, (size_t)1 << 31, &buf, &len, err);
    if (rc)
        return rc;
    unsigned char d[32];
    char got[65];
    eyni_sha256(buf, len, d);
    free(buf);
    eyni_hex_encode(d, 32, got);
    if (strcmp(got, hex) != 0)
        return eyni_error_set(err, EYNI_ECRYPTO, "%s: SHA-256 %s, expected %s", path, got, hex);
    return 0;
}
