/* The check groups, in the order main.c runs them. */
#pragma once

void checks_core(void);      /* checks_core.c: convention, QUERY_PROTOCOL, unknown calls, vTOM */
void checks_remap(void);     /* checks_remap.c: REMAP_CA */
void checks_pvalidate(void); /* checks_pvalidate.c: PVALIDATE list rules and page states */
void checks_vcpu(void);      /* checks_vcpu.c: CREATE_VCPU, DELETE_VCPU */
void checks_memory(void);    /* checks_memory.c: DEPOSIT_MEM, WITHDRAW_MEM */
void checks_vtpm(void);      /* checks_vtpm.c: VTPM_QUERY, VTPM_CMD */
void checks_attest(void);    /* checks_attest.c: ATTEST_SERVICES, ATTEST_SINGLE_SERVICE */
void checks_big(void);       /* big.c: 256 MiB rescind and validate through INCOMPLETE */
void checks_flood(void);     /* flood.c: 100000 random calls */
