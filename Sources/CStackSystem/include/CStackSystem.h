#ifndef STACK_CSTACKSYSTEM_H
#define STACK_CSTACKSYSTEM_H
#include <spawn.h>

/// posix_spawn_file_actions_addclosefrom_np (glibc >= 2.34), which Swift's Glibc module does not expose.
int stack_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int from);

/// POSIX_SPAWN_SETSID (a GNU extension): the child starts a new session, detached from the terminal.
int stack_spawn_setsid_flag(void);

#endif
