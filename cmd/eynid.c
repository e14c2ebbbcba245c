/* eynid: the HTTP/JSON server of eyni. */
#include <sys/stat.h>

#include "common.h"

int main(int argc, char **argv)
{
    umask(077); /* the database and its journal hold personal data: owner only */
    cmd_exit(cmd_serve(argc, argv));
}
