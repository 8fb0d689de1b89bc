public import ArgumentParser
import Detection
import Foundation
import Schemas
import Telemetry

/// `vitalgate detect --replay messages.jsonl[.gz] --alerts alerts.jsonl`: runs the product's
/// decoder and detection engine over a recorded stream, with each line's `t` as the clock.
public struct DetectCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Run anomaly detection over a recorded message stream (replay mode).",
        discussion: """
            Input: one JSON object per line, {"t": arrival_ms, "topic": ..., "payload": {...}}, in \
            arrival order; files ending in .gz are read through `gzip -dc`. Output: one alert per line.
            """)

    @Option(name: .long, help: "Recorded messages (JSONL, optionally gzip-compressed).")
    var replay: String

    @Option(name: .long, help: "Where to write the alerts (JSONL).")
    var alerts: String

    @Option(name: .long, help: "Directory of firmware schemas.")
    var schemas: String = "Firmware-Schemas"

    @Option(name: .long, help: "Alert threshold in [0, 1].")
    var threshold: Double = DetectionConfig().threshold

    @Option(name: .long, help: "Restore detector state from this file before replaying (if it exists).")
    var stateIn: String?

    @Option(name: .long, help: "Write detector state to this file after replaying.")
    var stateOut: String?

    @Option(name: .long, help: ArgumentHelp("Write per-minute trend diagnostics (TSV) here.", visibility: .hidden))
    var trendLog: String?

    public init() {}

    public func run() throws {
        let catalog = try SchemaCatalog.load(directory: schemas)
        var decoder = MessageDecoder(catalog: catalog)
        var replayer = ReplayLoop(engine: DetectionEngine(config: DetectionConfig(threshold: threshold)))
        if let stateIn, let data = FileManager.default.contents(atPath: stateIn) {
            try replayer.engine.restore([UInt8](data))
        }
        guard FileManager.default.createFile(atPath: alerts, contents: nil),
              let out = FileHandle(forWritingAtPath: alerts) else {
            throw ValidationError("cannot create the alerts file")
        }
        var trendOut: FileHandle?
        if let trendLog, FileManager.default.createFile(atPath: trendLog, contents: nil) {
            trendOut = FileHandle(forWritingAtPath: trendLog)
        }
        var buffer: [UInt8] = []
        var nextTrendDump: Int64 = 0
        let lines = try ReplayLineSource.forEachLine(path: replay) { line in
            guard let now = replayer.process(line: line, decode: { decoder.decode(topic: $0, payload: $1, receivedAt: $2) },
                                             emit: { alert in
                                                 buffer.append(contentsOf: alert.jsonLine.utf8)
                                                 buffer.append(0x0A)
                                             }) else { return }
            if buffer.count >= 1 << 16 { out.write(Data(buffer)); buffer.removeAll(keepingCapacity: true) }
            if let trendOut, now >= nextTrendDump {
                nextTrendDump = now + 60_000
                var text = ""
                for p in replayer.engine.patientIDs {
                    let d = replayer.engine.trendDiagnostics(patient: p)
                    if !d.isEmpty { text += "\(now)\t\(p)\t" + d.map { String(format: "%.2f", $0) }.joined(separator: "\t") + "\n" }
                }
                trendOut.write(Data(text.utf8))
            }
        }
        out.write(Data(buffer))
        try out.close()
        try trendOut?.close()
        if let stateOut {
            guard FileManager.default.createFile(atPath: stateOut, contents: Data(replayer.engine.snapshot())) else {
                throw ValidationError("cannot write the state file")
            }
        }
        FileHandle.standardError.write(Data(
            "detect: \(lines) lines (\(replayer.skippedLines) not messages), \(replayer.alertCount) alerts\n".utf8))
    }
}

/// Reads a file line by line; `.gz` files are decompressed by a `gzip -dc` child process.
enum ReplayLineSource {
    static func forEachLine(path: String, _ body: (ArraySlice<UInt8>) throws -> Void) throws -> Int {
        let handle: FileHandle
        var process: Process?
        if path.hasSuffix(".gz") {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["gzip", "-dc", path]
            let pipe = Pipe()
            p.standardOutput = pipe
            try p.run()
            process = p
            handle = pipe.fileHandleForReading
        } else {
            guard let h = FileHandle(forReadingAtPath: path) else { throw ValidationError("cannot open the replay file") }
            handle = h
        }
        var pending: [UInt8] = []
        var lines = 0
        while true {
            let chunk = handle.readData(ofLength: 1 << 20)
            if chunk.isEmpty { break }
            pending.append(contentsOf: chunk)
            var start = pending.startIndex
            while let nl = pending[start...].firstIndex(of: 0x0A) {
                if nl > start { lines += 1; try body(pending[start..<nl]) }
                start = nl + 1
            }
            pending.removeSubrange(..<start)
        }
        if !pending.isEmpty { lines += 1; try body(pending[...]) }
        if let process {
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw ValidationError("gzip -dc failed on the replay file") }
        }
        return lines
    }
}
