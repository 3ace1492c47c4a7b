#include "CNVML.h"
int cnvml_placeholder(void) { return 0; }
