#ifndef CNVML_H
#define CNVML_H
/* Placeholder: filled by the NVML work (issue 3). */
int cnvml_placeholder(void);
#endif
