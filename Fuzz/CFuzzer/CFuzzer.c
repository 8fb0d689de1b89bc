// Header-only target: LLVMFuzzerRunDriver is defined by libFuzzer.
#include "CFuzzer.h"
