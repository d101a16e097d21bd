#ifndef MCUSIM_SEMIHOST_H
#define MCUSIM_SEMIHOST_H

#include <stdint.h>

void mcusim_semihost_write0(const char *text);
void mcusim_semihost_exit(uint32_t status) __attribute__((noreturn));

#endif
