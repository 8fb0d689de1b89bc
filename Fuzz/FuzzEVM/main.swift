import FuzzSupport

runFuzzer(fuzzEVM)
