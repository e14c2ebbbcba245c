/* A foreigner's right to be in the country, for the traveller check: on entry a residence
 * permit or a visa valid on the date with entries left; on exit, the days stayed beyond
 * what the visa or permit allowed (overstay). The days of entry and exit both count as days
 * of stay, as the Schengen Borders Code counts them. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "register_int.h"

long reg_day_number(const char *iso)
{
    long y = atol(iso), m = atol(iso + 5), d = atol(iso + 8);
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void iso_of_day(long z, char out[11])
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    snprintf(out, 11, "%04ld-%02ld-%02ld", yoe + era * 400 + (m <= 2), m, d);
}

static void add_reason(json_t *reasons, const char *code, const char *severity, const char *fmt,
                       ...) EYNI_PRINTF(4, 5);

static void add_reason(json_t *reasons, const char *code, const char *severity, const char *fmt,
                       ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_array_append_new(
        reasons, json_pack("{s:s, s:s, s:s}", "code", code, "severity", severity, "message", msg));
}

typedef struct stay_in {
    eyni_register *reg;
    const char *doc, *nat, *fin, *today;
    json_t *reasons, *stay;
    json_t *permits, *visas;
} stay_in;

static json_t *permit_row(eyni_stmt *st, void *ctx)
{
    return json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)eyni_stmt_int64(st, 0), "address",
                     eyni_stmt_text(st, 1), "since", eyni_stmt_text(st, 2), "until",
                     eyni_stmt_text(st, 3));
}

static json_t *visa_row(eyni_stmt *st, void *ctx)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s}", "number", eyni_stmt_text(st, 0), "type",
                     eyni_stmt_text(st, 1), "valid_from", eyni_stmt_text(st, 2), "valid_until",
                     eyni_stmt_text(st, 3), "entries", (json_int_t)eyni_stmt_int64(st, 4),
                     "stay_days", (json_int_t)eyni_stmt_int64(st, 5), "status",
                     eyni_stmt_text(st, 6));
}

static json_t *text_row(eyni_stmt *st, void *ctx)
{
    return json_pack("[s, s]", eyni_stmt_text(st, 0), eyni_stmt_text(st, 1));
}

static int load(stay_in *s, eyni_error *err)
{
    const char *pv[] = {s->doc, s->nat, s->fin, s->fin};
    int rc = reg_read_rows(s->reg,
                           "SELECT id, address, since, until FROM residences WHERE kind = 'permit'"
                           " AND ((document_number = ? AND nationality = ?)"
                           "  OR (? IS NOT NULL AND fin = ?)) ORDER BY until DESC, id DESC",
                           pv, 4, permit_row, NULL, &s->permits, err);
    const char *vv[] = {s->doc, s->nat};
    if (rc == 0)
        rc = reg_read_rows(s->reg,
                           "SELECT number, type, valid_from, valid_until, entries, stay_days,"
                           " status FROM visas WHERE passport_number = ? AND nationality = ?"
                           " ORDER BY valid_from DESC, id DESC",
                           vv, 2, visa_row, NULL, &s->visas, err);
    return rc;
}

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* The permit in force on day, or NULL. */
static const json_t *permit_on(const stay_in *s, const char *day)
{
    size_t i;
    json_t *p;
    json_array_foreach(s->permits, i, p)
    {
        if (strcmp(str(p, "since"), day) <= 0 && strcmp(str(p, "until"), day) >= 0)
            return p;
    }
    return NULL;
}

/* The visa valid on day (revoked ones too when revoked_too), or NULL. */
static const json_t *visa_on(const stay_in *s, const char *day, int revoked_too)
{
    size_t i;
    json_t *v;
    json_array_foreach(s->visas, i, v)
    {
        if (strcmp(str(v, "valid_from"), day) <= 0 && strcmp(str(v, "valid_until"), day) >= 0 &&
            (revoked_too || !strcmp(str(v, "status"), "valid")))
            return v;
    }
    return NULL;
}

static int entries_used(stay_in *s, const json_t *v, long long *used, eyni_error *err)
{
    const char *vals[] = {s->doc, s->nat, str(v, "valid_from"), str(v, "valid_until")};
    json_t *rows = NULL;
    int rc = reg_read_rows(s->reg,
                           "SELECT day, direction FROM crossings WHERE document_number = ?"
                           " AND nationality = ? AND direction = 'entry' AND decision = 'clear'"
                           " AND day >= ? AND day <= ?",
                           vals, 4, text_row, NULL, &rows, err);
    *used = (long long)json_array_size(rows);
    json_decref(rows);
    return rc;
}

static int check_entry(stay_in *s, eyni_error *err)
{
    const json_t *p = permit_on(s, s->today);
    if (p) {
        json_object_set_new(s->stay, "basis", json_string("residence_permit"));
        json_object_set(s->stay, "permit", (json_t *)p);
        return 0;
    }
    const json_t *v = visa_on(s, s->today, 0);
    if (!v) {
        const json_t *r = visa_on(s, s->today, 1);
        if (r)
            add_reason(s->reasons, "visa_revoked", "deny", "visa %s was revoked", str(r, "number"));
        else if (json_array_size(s->visas) > 0)
            add_reason(s->reasons, "visa_not_valid", "deny",
                       "no visa of passport %s (%s) is valid on %s (latest: %s, %s to %s)", s->doc,
                       s->nat, s->today, str(json_array_get(s->visas, 0), "number"),
                       str(json_array_get(s->visas, 0), "valid_from"),
                       str(json_array_get(s->visas, 0), "valid_until"));
        else if (json_array_size(s->permits) > 0 && /* latest end first */
                 strcmp(str(json_array_get(s->permits, 0), "until"), s->today) < 0)
            add_reason(s->reasons, "permit_expired", "deny",
                       "the residence permit of passport %s (%s) ended on %s and no visa is "
                       "recorded",
                       s->doc, s->nat, str(json_array_get(s->permits, 0), "until"));
        else
            add_reason(s->reasons, "visa_missing", "refer",
                       "no visa or residence permit is recorded for passport %s (%s); entry "
                       "needs one unless the nationality is exempt",
                       s->doc, s->nat);
        return 0;
    }
    long long used = 0, allowed = json_integer_value(json_object_get(v, "entries"));
    int rc = entries_used(s, v, &used, err);
    if (rc)
        return rc;
    json_object_set_new(s->stay, "basis", json_string("visa"));
    json_object_set(s->stay, "visa", (json_t *)v);
    json_object_set_new(s->stay, "entries_used", json_integer(used));
    if (allowed > 0 && used >= allowed)
        add_reason(s->reasons, "visa_entries_used", "deny",
                   "visa %s allows %lld entr%s and %lld %s been used", str(v, "number"), allowed,
                   allowed == 1 ? "y" : "ies", used, used == 1 ? "has" : "have");
    return 0;
}

/* The day of the last cleared entry still open (no cleared exit after it), or "". */
static int last_entry(stay_in *s, char day[11], eyni_error *err)
{
    const char *vals[] = {s->doc, s->nat};
    json_t *rows = NULL;
    int rc = reg_read_rows(s->reg,
                           "SELECT day, direction FROM crossings WHERE document_number = ?"
                           " AND nationality = ? AND decision = 'clear' ORDER BY id DESC LIMIT 1",
                           vals, 2, text_row, NULL, &rows, err);
    json_t *r = json_array_get(rows, 0);
    day[0] = '\0';
    if (r && !strcmp(json_string_value(json_array_get(r, 1)), "entry"))
        snprintf(day, 11, "%s", json_string_value(json_array_get(r, 0)));
    json_decref(rows);
    return rc;
}

/* The last day the traveller may stay: the visa used on entry (its stay counted from the
 * entry day, ending with its validity at the latest) or the latest permit. */
static long allowed_until(stay_in *s, const char *entry_day)
{
    long until = -1;
    const json_t *v = entry_day[0] ? visa_on(s, entry_day, 1) : json_array_get(s->visas, 0);
    if (v) {
        until = reg_day_number(str(v, "valid_until"));
        long stay = json_integer_value(json_object_get(v, "stay_days"));
        if (entry_day[0] && reg_day_number(entry_day) + stay - 1 < until)
            until = reg_day_number(entry_day) + stay - 1;
        json_object_set(s->stay, "visa", (json_t *)v);
        json_object_set_new(s->stay, "basis", json_string("visa"));
    }
    const json_t *p = json_array_get(s->permits, 0); /* latest end first */
    if (p && reg_day_number(str(p, "until")) > until) {
        until = reg_day_number(str(p, "until"));
        json_object_set(s->stay, "permit", (json_t *)p);
        json_object_set_new(s->stay, "basis", json_string("residence_permit"));
    }
    return until;
}

static int check_exit(stay_in *s, eyni_error *err)
{
    char entry[11];
    int rc = last_entry(s, entry, err);
    if (rc)
        return rc;
    long today = reg_day_number(s->today), until = allowed_until(s, entry);
    if (entry[0]) {
        json_object_set_new(s->stay, "entry_day", json_string(entry));
        json_object_set_new(s->stay, "days_in_country",
                            json_integer(today - reg_day_number(entry) + 1));
    } else {
        add_reason(s->reasons, "entry_not_recorded", "info",
                   "no cleared entry of passport %s (%s) is recorded", s->doc, s->nat);
    }
    if (until < 0) {
        add_reason(s->reasons, "stay_not_verified", "refer",
                   "no visa or residence permit is recorded for passport %s (%s): the "
                   "legality of the stay cannot be confirmed",
                   s->doc, s->nat);
        return 0;
    }
    char last[11];
    iso_of_day(until, last);
    json_object_set_new(s->stay, "allowed_until", json_string(last));
    long over = today - until;
    json_object_set_new(s->stay, "overstay_days", json_integer(over > 0 ? over : 0));
    char entered[32] = "";
    if (entry[0])
        snprintf(entered, sizeof entered, " (entered %s)", entry);
    if (over > 0)
        add_reason(s->reasons, "overstay", "refer",
                   "overstay: %ld day%s beyond the permitted stay, which ended on %s%s", over,
                   over == 1 ? "" : "s", last, entered);
    return 0;
}

int reg_stay_check(eyni_register *reg, const char *document, const char *nationality,
                   const char *fin, const char *today, int exit, json_t *reasons, json_t **stay,
                   eyni_error *err)
{
    stay_in s = {reg, document, nationality, fin, today, reasons, json_object(), NULL, NULL};
    int rc = load(&s, err);
    if (rc == 0)
        rc = exit ? check_exit(&s, err) : check_entry(&s, err);
    json_decref(s.permits);
    json_decref(s.visas);
    if (rc) {
        json_decref(s.stay);
        return rc;
    }
    *stay = s.stay;
    return 0;
}
