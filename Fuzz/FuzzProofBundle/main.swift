import FuzzSupport

runFuzzer(fuzzProofBundle)
