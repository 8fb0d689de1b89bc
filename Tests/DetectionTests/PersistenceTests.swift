import Testing
import Telemetry
@testable import Detection

/// Per-patient state survives a restart: an engine restored from a snapshot behaves exactly
/// like one that never stopped.
@Suite struct PersistenceTests {
    @Test func restartWithPersistedStateContinuesIdentically() throws {
        var p = SyntheticPatient()
        let first = p.preamble() + p.seconds(0..<2400)
        let oxi = p.oximeter
        let second = p.seconds(2400..<3600) { s, r in
            guard r.device == oxi, s >= 3000 else { return r }
            return r.with(Channel.spo2, MeasurementValue.noSignal)
        }
        var uninterrupted = DetectionEngine()
        _ = run(&uninterrupted, first)
        let expected = run(&uninterrupted, second)
        #expect(!expected.isEmpty)

        var before = DetectionEngine()
        _ = run(&before, first)
        let bytes = before.snapshot()
        var after = DetectionEngine()
        try after.restore(bytes)
        #expect(after.snapshot() == bytes)
        #expect(run(&after, second) == expected)
    }

    /// The agent saves the engine in parts (each patient, then the unpaired devices); restoring
    /// the parts gives back the whole engine.
    @Test func engineSavedInPartsRestoresWhole() throws {
        var p = SyntheticPatient()
        let belt = p.belt
        // The belt is never paired: its state is in the unpaired part.
        let preamble = p.preamble().filter { outcome, _ in
            if case .control(let device, _) = outcome { return device != belt }
            return true
        }
        let stream = p.seconds(0..<1200).map { outcome, t -> (DecodeOutcome, Int64) in
            if case .reading(let reading, _) = outcome, reading.device == belt { return (.reading(reading, patient: nil), t) }
            return (outcome, t)
        }
        var engine = DetectionEngine()
        _ = run(&engine, preamble + stream)
        #expect(engine.patientIDs == [p.patient])
        #expect(engine.snapshotUnpaired().count > 64)  // holds the belt's monitor
        let parts = engine.patientIDs.compactMap { engine.snapshot(patient: $0) }
        let unpaired = engine.snapshotUnpaired()
        var restored = DetectionEngine()
        try restored.restoreUnpaired(from: unpaired)
        for part in parts { try restored.restorePatient(from: part) }
        #expect(restored.snapshot() == engine.snapshot())
        #expect(throws: DetectionStateError.self) { try restored.restoreUnpaired(from: parts[0]) }  // wrong kind
    }

    /// An erased patient is forgotten: no monitor, no saved state, devices unpaired.
    @Test func aForgottenPatientLeavesNothingBehind() throws {
        var p = SyntheticPatient()
        var engine = DetectionEngine()
        _ = run(&engine, p.preamble() + p.seconds(0..<600))
        #expect(engine.snapshot(patient: p.patient) != nil)
        engine.forgetPatient(p.patient)
        #expect(engine.patientIDs.isEmpty && engine.snapshot(patient: p.patient) == nil)
        let unpaired = engine.snapshotUnpaired()
        var restored = DetectionEngine()
        try restored.restoreUnpaired(from: unpaired)
        #expect(restored.snapshot() == engine.snapshot())  // the devices remain, as unpaired ones
        #expect(!String(decoding: engine.snapshot(), as: UTF8.self).contains(p.patient))
    }

    @Test func perPatientSnapshotRoundTripsAndStaysSmall() throws {
        var p = SyntheticPatient()
        var engine = DetectionEngine()
        _ = run(&engine, p.preamble() + p.seconds(0..<3600))
        let bytes = try #require(engine.snapshot(patient: p.patient))
        #expect(bytes.count <= 64 * 1024)
        var restored = DetectionEngine()
        try restored.restorePatient(from: bytes)
        #expect(restored.snapshot(patient: p.patient) == bytes)
        let tail = p.seconds(3600..<3700)
        var a = engine, b = restored
        #expect(run(&a, tail) == run(&b, tail))
    }

    @Test func corruptOrForeignStateIsRejected() {
        var p = SyntheticPatient()
        var engine = DetectionEngine()
        _ = run(&engine, p.preamble() + p.seconds(0..<120))
        var bytes = engine.snapshot()
        var fresh = DetectionEngine()
        #expect(throws: DetectionStateError.self) { try fresh.restore(Array(bytes.prefix(bytes.count / 2))) }
        bytes[4] = DetectionEngine.stateVersion &+ 1
        #expect(throws: DetectionStateError.self) { try fresh.restore(bytes) }
        #expect(throws: DetectionStateError.self) { try fresh.restore(Array("not a state".utf8)) }
    }
}

/// A state file is outside input to `detect --state-in`: averages that are not finite (they
/// feed `Int64(...)` conversions later) are refused when read, not trapped on when used.
@Suite struct StateValidationTests {
    @Test(arguments: [(Float.nan, Float(0)), (.infinity, 0), (60_000, -1), (60_000, .infinity)])
    func averagesThatAreNotNumbersAreRefused(_ mean: Float, _ variance: Float) {
        var bad = EWMA()
        bad.mean = mean
        bad.variance = variance
        bad.samples = 3
        var writer = StateWriter()
        writer.write(bad)
        var reader = StateReader(writer.bytes)
        #expect(throws: DetectionStateError.self) { _ = try reader.read(EWMA.self) }
    }

    @Test func anOrdinaryAverageRoundTrips() throws {
        var ewma = EWMA()
        for x: Float in [1000, 1010, 990] { ewma.update(x, alpha: 0.1) }
        var writer = StateWriter()
        writer.write(ewma)
        var reader = StateReader(writer.bytes)
        #expect(try reader.read(EWMA.self) == ewma)
    }
}
