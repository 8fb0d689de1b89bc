// libFuzzer's driver entry point (compiler-rt, linked by `-sanitize=fuzzer`). The fuzz
// executables call it from their own main: SwiftPM defines `main` as `<module>_main`, so
// libFuzzer's own main is never linked (../docs/TESTING.md).
#include <stddef.h>
#include <stdint.h>

typedef int (*VGFuzzCallback)(const uint8_t *data, size_t size);

int LLVMFuzzerRunDriver(int *argc, char ***argv, VGFuzzCallback callback);
