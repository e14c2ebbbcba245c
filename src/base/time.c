/* Wall-clock timestamps, strict calendar dates and a monotonic clock. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "eyni/base.h"

void eyni_time_now_iso(char buf[32])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(buf, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
}

double eyni_time_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

int eyni_date_parse(const char *s, int *year, int *month, int *day, eyni_error *err)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return eyni_error_set(err, EYNI_EFORMAT, "date '%.32s' is not YYYY-MM-DD", s ? s : "");
    int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
    if (y < 1850 || y > 2200 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return eyni_error_set(err, EYNI_EFORMAT, "date '%s' is not a calendar day in 1850..2200",
                              s);
    if (year)
        *year = y;
    if (month)
        *month = m;
    if (day)
        *day = d;
    return 0;
}
