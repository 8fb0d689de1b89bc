import FuzzSupport

runFuzzer(fuzzConsent, seeds: ConsentFixture.seeds)
