import Foundation

/// A slice of the development set (seed 1), in `Fixtures/dev-slice.jsonl`: one patient's ECG
/// patch and oximeter from two minutes before a labelled CardioStrip lead-off (dropout, start
/// 1763894364000, deadline 60 s) to 90 s after its start, with the retained info/pair messages
/// first. Regenerate with
/// shared/tools/wban_sim.py --seed 1 (see BENCHMARKS.md) and filter devices CDS-855BCA, OXP-737BA7.
enum DevSlice {
    static let dropoutStart: Int64 = 1_763_894_364_000
    static let device = "CDS-855BCA"
    /// The recorded lines, as `vitalgate detect --replay` reads them.
    static let lines: String = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/dev-slice.jsonl")
        do { return try String(contentsOf: url, encoding: .utf8) } catch {
            fatalError("the development-set slice \(url.path) cannot be read: \(error)")
        }
    }()
}
