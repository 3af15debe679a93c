#ifndef STACK_CLIBPQ_SHIM_H
#define STACK_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
