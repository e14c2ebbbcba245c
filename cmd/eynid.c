/* eynid: the HTTP/JSON server of eyni. */
#include "common.h"

int main(int argc, char **argv)
{
    return cmd_serve(argc, argv);
}
