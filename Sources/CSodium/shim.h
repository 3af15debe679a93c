#ifndef STACK_CSODIUM_SHIM_H
#define STACK_CSODIUM_SHIM_H
#include <sodium.h>
#endif
