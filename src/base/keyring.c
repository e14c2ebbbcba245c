/* AES-256-GCM sealing of data at rest under a rotating set of data keys. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "eyni/base.h"

typedef struct data_key {
    unsigned id;
    unsigned char key[32];
} data_key;

struct eyni_keyring {
    data_key keys[EYNI_KEYRING_MAX];
    int n;
    int active; /* index into keys */
};

static const unsigned char magic[4] = {'E', 'Y', 'K', '1'};

/* "data-<id>.key" -> id, or 0 when the name is something else. */
static unsigned key_id_of(const char *name)
{
    unsigned id = 0;
    char tail[8];
    if (sscanf(name, "data-%u%7s", &id, tail) != 2 || strcmp(tail, ".key") != 0)
        return 0;
    return id;
}

static int load_one(eyni_keyring *kr, const char *dir, const char *name, unsigned id,
                    eyni_error *err)
{
    if (kr->n == EYNI_KEYRING_MAX)
        return eyni_error_set(err, EYNI_ELIMIT, "%s: more than %d data keys", dir,
                              EYNI_KEYRING_MAX);
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unsigned char *buf;
    size_t len;
    int rc = eyni_file_read(path, 64, &buf, &len, err);
    if (rc)
        return rc;
    if (len != 32) {
        free(buf);
        return eyni_error_set(err, EYNI_ECRYPTO, "%s: a data key is 32 bytes, found %zu", path, len);
    }
    kr->keys[kr->n].id = id;
    memcpy(kr->keys[kr->n].key, buf, 32);
    memset(buf, 0, len);
    free(buf);
    kr->n++;
    return 0;
}

int eyni_keyring_load(const char *dir, unsigned active_id, eyni_keyring **out, eyni_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return eyni_error_set(err, EYNI_ENOTFOUND, "%s: key folder not readable", dir);
    eyni_keyring *kr = calloc(1, sizeof *kr);
    int rc = kr ? 0 : eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        unsigned id = key_id_of(e->d_name);
        if (id)
            rc = load_one(kr, dir, e->d_name, id, err);
    }
    closedir(d);
    if (kr)
        kr->active = -1;
    for (int i = 0; rc == 0 && i < kr->n; i++)
        if (kr->keys[i].id == active_id)
            kr->active = i;
    if (rc == 0 && kr->active < 0)
        rc = eyni_error_set(err, EYNI_ENOTFOUND, "%s: no data-%u.key for the active key id", dir,
                            active_id);
    if (rc) {
        eyni_keyring_free(kr);
        return rc;
    }
    *out = kr;
    return 0;
}

void eyni_keyring_free(eyni_keyring *kr)
{
    if (!kr)
        return;
    memset(kr, 0, sizeof *kr);
    free(kr);
}

unsigned eyni_keyring_active(const eyni_keyring *kr)
{
    return kr->keys[kr->active].id;
}

/* One GCM pass; enc selects sealing or opening. Returns 1 on success. */
static int gcm(int enc, const unsigned char *key, const unsigned char *nonce, const void *aad,
               size_t aad_len, const unsigned char *in, size_t n, unsigned char *out,
               unsigned char *tag)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int ok = c && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) &&
             EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) &&
             EVP_CipherInit_ex(c, NULL, NULL, key, nonce, enc);
    int len = 0;
    if (ok && aad_len)
        ok = EVP_CipherUpdate(c, NULL, &len, aad, (int)aad_len);
    if (ok && n)
        ok = EVP_CipherUpdate(c, out, &len, in, (int)n);
    if (ok && !enc)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag);
    if (ok)
        ok = EVP_CipherFinal_ex(c, out + (n ? len : 0), &len);
    if (ok && enc)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag);
    EVP_CIPHER_CTX_free(c);
    return ok;
}

int eyni_keyring_seal(const eyni_keyring *kr, const void *aad, size_t aad_len, const void *in,
                      size_t n, unsigned char **out, size_t *out_len, eyni_error *err)
{
    if (n > (size_t)1 << 30 || aad_len > (size_t)1 << 20)
        return eyni_error_set(err, EYNI_ELIMIT, "seal: %zu bytes is too large", n);
    unsigned char *b = malloc(n + EYNI_SEAL_OVERHEAD);
    if (!b)
        return eyni_error_set(err, EYNI_ENOMEM, "seal: out of memory");
    const data_key *k = &kr->keys[kr->active];
    memcpy(b, magic, 4);
    b[4] = (unsigned char)(k->id >> 24), b[5] = (unsigned char)(k->id >> 16);
    b[6] = (unsigned char)(k->id >> 8), b[7] = (unsigned char)k->id;
    /* A random 96-bit nonce per blob: collisions stay negligible far beyond the number of
     * records one key will ever seal. */
    int rc = eyni_random_bytes(b + 8, 12, err);
    if (rc == 0 && !gcm(1, k->key, b + 8, aad, aad_len, in, n, b + 20, b + 20 + n))
        rc = eyni_error_set(err, EYNI_ECRYPTO, "seal: AES-GCM failed");
    if (rc) {
        free(b);
        return rc;
    }
    *out = b;
    *out_len = n + EYNI_SEAL_OVERHEAD;
    return 0;
}

int eyni_keyring_open(const eyni_keyring *kr, const void *aad, size_t aad_len,
                      const unsigned char *blob, size_t n, unsigned char **out, size_t *out_len,
                      eyni_error *err)
{
    if (n < EYNI_SEAL_OVERHEAD || memcmp(blob, magic, 4) != 0)
        return eyni_error_set(err, EYNI_ECRYPTO, "open: not a sealed blob");
    unsigned id = (unsigned)blob[4] << 24 | (unsigned)blob[5] << 16 | (unsigned)blob[6] << 8 |
                  blob[7];
    const data_key *k = NULL;
    for (int i = 0; i < kr->n; i++)
        if (kr->keys[i].id == id)
            k = &kr->keys[i];
    if (!k)
        return eyni_error_set(err, EYNI_ECRYPTO, "open: data key %u is not in the keyring", id);
    size_t m = n - EYNI_SEAL_OVERHEAD;
    unsigned char *p = malloc(m + 1);
    if (!p)
        return eyni_error_set(err, EYNI_ENOMEM, "open: out of memory");
    unsigned char tag[16];
    memcpy(tag, blob + 20 + m, 16);
    if (!gcm(0, k->key, blob + 8, aad, aad_len, blob + 20, m, p, tag)) {
        free(p);
        return eyni_error_set(err, EYNI_ECRYPTO,
                              "open: blob altered or sealed for another record (key %u)", id);
    }
    *out = p;
    *out_len = m;
    return 0;
}
