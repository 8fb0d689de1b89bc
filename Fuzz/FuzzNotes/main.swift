import FuzzSupport

runFuzzer(fuzzNotes, seeds: NotesFixture.seeds)
