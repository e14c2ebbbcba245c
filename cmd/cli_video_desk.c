/* `eyni watch add-camera|list|events|add-wanted`: the central desk's commands. */
#include <string.h>

#include "cli.h"
#include "cli_video.h"

int cli_watch_desk(int argc, char **argv)
{
    fprintf(stderr, "eyni watch: unknown subcommand '%s'\n", argv[1]);
    return cli_usage("eyni watch (run|add-camera|list|events|add-wanted) ...");
}
