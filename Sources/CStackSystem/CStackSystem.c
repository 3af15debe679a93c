#define _GNU_SOURCE
#include <spawn.h>
#include "CStackSystem.h"

int stack_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

int stack_spawn_setsid_flag(void) {
    return POSIX_SPAWN_SETSID;
}
