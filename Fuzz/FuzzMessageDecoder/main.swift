import FuzzSupport

runFuzzer(fuzzMessageDecoder, seeds: DecoderFixture.seeds)
