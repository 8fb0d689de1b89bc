import FuzzSupport

runFuzzer(fuzzFleet, seeds: FleetFixture.seeds)
