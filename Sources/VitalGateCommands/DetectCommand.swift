public import ArgumentParser
import Detection
import FoundationEssentials
import Glibc
import LocalBroker
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

    @Option(name: .long, help: ArgumentHelp(
        "Directory of firmware schemas that extend or replace (same id) the built-in ones.", valueName: "dir"))
    var schemas: String?

    @Option(name: .long, help: "Alert threshold in [0, 1].")
    var threshold: Double = DetectionConfig().threshold

    @Option(name: .long, help: "Restore detector state from this file before replaying (if it exists).")
    var stateIn: String?

    @Option(name: .long, help: "Write detector state to this file after replaying.")
    var stateOut: String?

    @Option(name: .long, help: ArgumentHelp("Write per-minute trend diagnostics (TSV) here.", visibility: .hidden))
    var trendLog: String?

    @Option(name: .long, help: ArgumentHelp(
        "Write every finding, before the alert gate and whatever its score, here (JSONL; calibration).",
        visibility: .hidden))
    var candidates: String?

    public init() {}

    public func run() throws {
        let catalog = try SchemaCatalog.builtIn(extendedBy: schemas)
        var decoder = MessageDecoder(catalog: catalog)
        var replayer = ReplayLoop(engine: DetectionEngine(config: DetectionConfig(threshold: threshold)))
        if let stateIn, let data = FileManager.default.contents(atPath: stateIn) {
            try replayer.engine.restore([UInt8](data))
        }
        guard let out = FileStream.create(path: alerts) else {
            throw ValidationError("cannot create the alerts file")
        }
        let trendOut = trendLog.flatMap { FileStream.create(path: $0) }
        let candidateOut = candidates.flatMap { FileStream.create(path: $0) }
        replayer.engine.keepsCandidates = candidateOut != nil
        var buffer: [UInt8] = []
        var nextTrendDump: Int64 = 0
        let lines = try ReplayLineSource.forEachLine(path: replay) { line in
            guard let now = replayer.process(line: line, decode: { decoder.decode(topic: $0, payload: $1, receivedAt: $2) },
                                             emit: { alert in
                                                 buffer.append(contentsOf: alert.jsonLine.utf8)
                                                 buffer.append(0x0A)
                                             }) else { return }
            if let candidateOut, !replayer.engine.candidates.isEmpty {
                candidateOut.write(replayer.engine.candidates.map { $0.jsonLine + "\n" }.joined())
                replayer.engine.candidates.removeAll(keepingCapacity: true)
            }
            if buffer.count >= 1 << 16 { out.write(buffer); buffer.removeAll(keepingCapacity: true) }
            if let trendOut, now >= nextTrendDump {
                nextTrendDump = now + 60_000
                var text = ""
                for p in replayer.engine.patientIDs {
                    let d = replayer.engine.trendDiagnostics(patient: p)
                    if !d.isEmpty { text += "\(now)\t\(p)\t" + d.map { String(printf: "%.2f", $0) }.joined(separator: "\t") + "\n" }
                }
                trendOut.write(text)
            }
        }
        guard out.write(buffer) else { throw ValidationError("cannot write the alerts file") }
        if let stateOut {
            guard FileManager.default.createFile(atPath: stateOut, contents: Data(replayer.engine.snapshot())) else {
                throw ValidationError("cannot write the state file")
            }
        }
        FileStream.standardError.write(
            "detect: \(lines) lines (\(replayer.skippedLines) not messages), \(replayer.alertCount) alerts\n")
    }
}

/// Reads a file line by line; `.gz` files are decompressed by a `gzip -dc` child process.
enum ReplayLineSource {
    static func forEachLine(path: String, _ body: (ArraySlice<UInt8>) throws -> Void) throws -> Int {
        guard access(path, R_OK) == 0 else { throw TextFile.openFailure(errno, path: path, key: "--replay") }
        let handle: FileStream
        var process: ChildProcess?
        if path.hasSuffix(".gz") {
            var ends: [Int32] = [0, 0]
            guard pipe(&ends) == 0 else { throw ValidationError("cannot create a pipe for gzip") }
            defer { close(ends[1]) }  // the child holds its own copy; EOF comes when it exits
            _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
            process = try ChildProcess(executable: "/usr/bin/env", arguments: ["gzip", "-dc", path],
                                       outputPath: nil, standardOutput: ends[1])
            handle = FileStream(descriptor: ends[0], owned: true)
        } else {
            guard let h = FileStream.open(readingAt: path) else { throw ValidationError("cannot open the replay file") }
            handle = h
        }
        // A line longer than the replay parser takes is kept at this length (it is then skipped
        // as too large): memory stays bounded and a file without newlines is read in linear time.
        let longest = ReplayLoop.maxLineBytes + 1
        var pending: [UInt8] = []
        var searched = 0  // leading bytes of `pending` known to hold no newline
        var lines = 0
        while true {
            let chunk = handle.read(upTo: 1 << 20)
            if chunk.isEmpty { break }
            pending.append(contentsOf: chunk)
            var start = 0
            while let nl = pending[max(start, searched)...].firstIndex(of: 0x0A) {
                if nl > start { lines += 1; try body(pending[start..<min(nl, start + longest)]) }
                start = nl + 1
            }
            pending.removeSubrange(..<start)
            if pending.count > longest { pending.removeSubrange(longest...) }
            searched = pending.count
        }
        if !pending.isEmpty { lines += 1; try body(pending[...]) }
        if let process {
            let status = process.waitForExit()
            guard status == 0 else { throw ValidationError("gzip -dc failed on the replay file") }
        }
        return lines
    }
}
