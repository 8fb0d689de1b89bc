public import ArgumentParser
import FoundationEssentials
import Telemetry
import Vault

/// `vitalgate export`: decrypted canonical readings (or, with `--alerts`, stored alerts) as JSON Lines.
public struct ExportCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write decrypted canonical readings (or alerts) as JSON Lines.",
        discussion: """
            Times are device times (alert times with --alerts): ms since the epoch or RFC 3339 \
            (2025-11-23T08:00:00Z); --to is exclusive. Each alert carries `record_id`, the sealed \
            record that `vitalgate prove` proves.
            """)

    @Option(name: .long, help: "Data directory.") var dataDir = "data"
    @Option(name: .long, help: "Only this patient identifier.") var patient: String?
    @Option(name: .long, help: "Only this device id.") var device: String?
    @Option(name: .long, help: "From this device time (inclusive).") var from: String?
    @Option(name: .long, help: "Up to this device time (exclusive).") var to: String?
    @Option(name: .long, help: "Output file (default: standard output).") var out: String?
    @Flag(name: .long, help: "Export the stored alerts instead of readings.") var alerts = false

    public init() {}

    static func parseTime(_ text: String?) throws -> Int64? {
        guard let text else { return nil }
        if let ms = Int64(text) { return ms }
        let date = (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
            ?? (try? Date(text, strategy: .iso8601))
        guard let date else { throw ValidationError("not a time: use ms since the epoch or RFC 3339") }
        return Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    public func run() throws {
        let vault = try DataPaths(dataDir).openVault()
        let filter = ExportFilter(patient: patient, device: device, from: try Self.parseTime(from),
                                  to: try Self.parseTime(to))
        let sink: FileStream
        if let out {
            guard let stream = FileStream.create(path: out, mode: 0o600) else { throw ValidationError("cannot create \(out)") }
            sink = stream
        } else {
            sink = FileStream.standardOutput
        }
        var buffer: [UInt8] = []
        var exported = 0
        var failed: [Int64] = []
        let what = alerts ? "alert" : "reading"
        func skipped(_ id: Int64, _ error: VaultError) {
            failed.append(id)
            FileStream.standardError.write("export: skipped \(what) \(id): \(error.code): \(error.reason)\n")
        }
        func emit(_ json: JSONValue) {
            JSONWriter.write(json, into: &buffer)
            buffer.append(0x0A)
            exported += 1
            if buffer.count > 1 << 16 {
                sink.write(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        if alerts {
            try vault.exportAlerts(filter, onError: skipped) { emit($0) }
        } else {
            try vault.export(filter, onError: skipped) { emit($0.json) }
        }
        guard sink.write(buffer) else { throw ValidationError("cannot write the export") }
        FileStream.standardError.write("exported \(exported) \(what)s\n")
        if !failed.isEmpty { throw ExitCode(1) }
    }
}
