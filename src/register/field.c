/* Thumbnails for handheld terminals: the register's portrait of a person, or the photo of
 * a watchlist entry, unsealed, shrunk and sent as a small base64 JPEG. */
#include <stdlib.h>
#include <string.h>

#include "eyni/image.h"
#include "register_int.h"

#define THUMB_WIDTH   96
#define THUMB_QUALITY 75

/* The newest sealed face image of fin (or of watchlist entry when fin is NULL). */
static int sealed_face(eyni_register *reg, const char *fin, long long entry, unsigned char **img,
                       size_t *len, eyni_error *err)
{
    eyni_db *db;
    int rc = eyni_store_acquire(reg->store, &db, err);
    if (rc)
        return rc;
    eyni_stmt *st = NULL;
    rc = eyni_db_prepare(db,
                         fin ? "SELECT b.image, b.position FROM biometrics b"
                               " JOIN persons p ON p.id = b.person_id WHERE p.fin = ?"
                               " AND b.modality = 'face' AND b.replaced_at IS NULL"
                               " AND b.image IS NOT NULL ORDER BY b.id DESC LIMIT 1"
                             : "SELECT image, position FROM watch_biometrics WHERE entry_id = ?"
                               " AND modality = 'face' AND image IS NOT NULL"
                               " ORDER BY id DESC LIMIT 1",
                         &st, err);
    if (rc == 0)
        rc = fin ? eyni_stmt_bind_text(st, 1, fin, err) : eyni_stmt_bind_int64(st, 1, entry, err);
    if (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1) {
        size_t n;
        const unsigned char *blob = eyni_stmt_blob(st, 0, &n);
        char aad[96];
        int pos = (int)eyni_stmt_int64(st, 1);
        if (fin)
            snprintf(aad, sizeof aad, "bio:%s:face:%d:i", fin, pos);
        else
            snprintf(aad, sizeof aad, REG_WATCH_AAD, entry, "face", pos, 'i');
        rc = eyni_keyring_open(reg->keys, aad, strlen(aad), blob, n, img, len, err);
    } else if (rc == 0) {
        rc = eyni_error_set(err, EYNI_ENOTFOUND, "no portrait stored");
    }
    eyni_stmt_free(st);
    eyni_store_release(reg->store, db);
    return rc;
}

int reg_thumbnail(eyni_register *reg, const char *fin, long long entry, char **b64, eyni_error *err)
{
    if (!reg->keys)
        return eyni_error_set(err, EYNI_ECRYPTO, "no data key configured");
    unsigned char *raw = NULL, *jpg = NULL;
    size_t len = 0, jlen = 0;
    eyni_image *img = NULL, *small = NULL;
    int rc = sealed_face(reg, fin, entry, &raw, &len, err);
    if (rc == 0)
        rc = eyni_image_decode(raw, len, 3, &img, err);
    if (rc == 0) {
        int h = (int)((long)img->height * THUMB_WIDTH / (img->width > 0 ? img->width : 1));
        rc = eyni_image_resize(img, THUMB_WIDTH, h > 0 ? h : 1, &small, err);
    }
    if (rc == 0)
        rc = eyni_image_encode_jpeg(small, THUMB_QUALITY, &jpg, &jlen, err);
    if (rc == 0)
        rc = eyni_base64_encode(jpg, jlen, b64, err);
    free(raw);
    free(jpg);
    eyni_image_free(img);
    eyni_image_free(small);
    return rc;
}
