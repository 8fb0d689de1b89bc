@testable import Simulator
import Telemetry
import Testing

@Suite("ECG waveform")
struct WaveformTests {
    @Test("chunks decode to exactly n = fs = 250 samples with a plausible ECG")
    func chunks() throws {
        let config = SimulatorConfig(patients: 1, seed: 21, benignArtifacts: false)
        let messages = try Sim.run(config, seconds: 60)
        let waves = messages.filter { Sim.topic($0)?.kind == .waveform }
        #expect(waves.count == 60)
        var all: [Int16] = []
        var seqs: [Int] = []
        for message in waves {
            let value = try #require(Sim.parse(message))
            let samples = try #require(Sim.samples(value))
            #expect(samples.count == 250 && Sim.int(value, "n") == 250 && Sim.int(value, "fs") == 250)
            seqs.append(try #require(Sim.int(value, "seq")))
            all += samples
        }
        #expect(Array(seqs.dropFirst()) == seqs.dropLast().map { $0 + 2 }, "vitals and waveform share the counter")
        // R peaks of ~1 mV, shallow S waves, count of beats matching the reported heart rate.
        #expect((800...1600).contains(all.max() ?? 0))
        #expect((-600 ... -100).contains(all.min() ?? 0))
        var peaks = 0
        var refractory = 0
        for sample in all {
            if refractory > 0 { refractory -= 1; continue }
            if sample > 600 { peaks += 1; refractory = 50 }
        }
        let rates = messages.filter { Sim.family($0) == .cardioStrip && Sim.topic($0)?.kind == .vitals }
            .compactMap { Sim.parse($0)?["hr"]?.numberValue }
        let meanRate = rates.reduce(0, +) / Double(rates.count)
        #expect(abs(Double(peaks) - meanRate) <= 4, "\(peaks) beats in a minute at \(meanRate)/min")
    }

    @Test("rr_ms intervals agree with hr")
    func rrIntervals() throws {
        let messages = try Sim.run(SimulatorConfig(patients: 2, seed: 5, benignArtifacts: false), seconds: 30)
        for message in messages where Sim.family(message) == .cardioStrip && Sim.topic(message)?.kind == .vitals {
            let value = try #require(Sim.parse(message))
            let rr = (value["rr_ms"]?.arrayValue ?? []).compactMap(\.numberValue)
            let hr = value["hr"]?.numberValue ?? 0
            #expect(abs(60_000 / (rr.reduce(0, +) / Double(rr.count)) - hr) <= 1)
        }
    }

    @Test("ECG samples are little-endian int16")
    func sampleByteOrder() {
        #expect(int16LittleEndian([0x01, 0x80, 0xFF, 0x7F]) == [Int16(bitPattern: 0x8001), 0x7FFF])
    }
}
