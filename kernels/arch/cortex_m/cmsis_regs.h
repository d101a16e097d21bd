/*
 * cmsis_regs.h - the few Cortex-M system registers the firmware touches
 * (addresses from the Armv7-M/Armv6-M Architecture Reference Manuals,
 * DDI0403E C1.6 "Debug system registers", C1.7 ITM, C1.8 DWT, B3.2 SCB).
 */
#ifndef MCUSIM_CMSIS_REGS_H
#define MCUSIM_CMSIS_REGS_H

#include <stdint.h>

#define MCUSIM_REG(addr) (*(volatile uint32_t *)(addr))

#define DEMCR           MCUSIM_REG(0xE000EDFCu)   /* Debug Exception and Monitor Control */
#define DEMCR_TRCENA    (1u << 24)
#define ITM_STIM(port)  MCUSIM_REG(0xE0000000u + 4u * (port))
#define ITM_TER         MCUSIM_REG(0xE0000E00u)   /* Trace Enable */
#define ITM_TCR         MCUSIM_REG(0xE0000E80u)   /* Trace Control */
#define ITM_LAR         MCUSIM_REG(0xE0000FB0u)   /* Lock Access (CoreSight) */
#define ITM_TCR_ITMENA  (1u << 0)
#define ITM_TCR_SYNCENA (1u << 2)
#define ITM_TCR_BUSID1  (1u << 16)
#define DWT_CTRL        MCUSIM_REG(0xE0001000u)
#define DWT_CYCCNT      MCUSIM_REG(0xE0001004u)
#define DWT_CYCCNTENA   (1u << 0)
#define SCB_CCR         MCUSIM_REG(0xE000ED14u)   /* Configuration and Control */
#define SCB_CCR_DC      (1u << 16)
#define SCB_CCR_IC      (1u << 17)
#define SCB_CCSIDR      MCUSIM_REG(0xE000ED80u)   /* Cache Size ID (ARMv7-M with caches) */
#define SCB_CSSELR      MCUSIM_REG(0xE000ED84u)   /* Cache Size Selection */
#define SCB_ICIALLU     MCUSIM_REG(0xE000EF50u)   /* I-cache invalidate all */
#define SCB_DCISW       MCUSIM_REG(0xE000EF60u)   /* D-cache invalidate by set/way */

#if defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__)
#define MCUSIM_HAS_DWT_CYCCNT 1
#else
#define MCUSIM_HAS_DWT_CYCCNT 0      /* ARMv6-M: the DWT has no cycle counter */
#endif

static inline void mcusim_dsb(void) { __asm__ volatile("dsb 0xF" ::: "memory"); }
static inline void mcusim_isb(void) { __asm__ volatile("isb 0xF" ::: "memory"); }

#endif /* MCUSIM_CMSIS_REGS_H */
