import FoundationEssentials
import Glibc
import Telemetry
public import Vault

/// Delivers FHIR R4 resources as FHIR Bulk Data NDJSON files in a directory: one file per
/// resource type per delivery (`Observation.0000000000001234.ndjson`, named by the first record
/// id it holds), written to a hidden temporary file, fsynced, renamed, and the directory
/// fsynced before the cursor moves. Files rotate by time (a delivery waits until its oldest
/// record is `maxAgeMs` old) or by size (a full batch goes at once).
///
/// Once at the receiver: a delivery repeated after a crash starts at the same record and
/// replaces the same files with a superset, so no resource is ever in two files.
public final class NDJSONSink: DeliverySink {
    public let name: String
    public let directory: String
    let mapping: FHIRMapping
    /// How long the oldest pending record may wait for its file (ms).
    let maxAgeMs: Int64

    /// A sink writing into `directory` (created if missing).
    /// - Throws: ``DeliveryError`` `.configuration` if the directory cannot be created.
    public init(name: String = "ndjson", directory: String, mapping: FHIRMapping, maxAgeMs: Int64 = 60_000)
        throws(DeliveryError) {
        self.name = name
        self.directory = directory
        self.mapping = mapping
        self.maxAgeMs = maxAgeMs
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o750])
        } catch {
            throw DeliveryError(.configuration, "cannot create the NDJSON directory \(directory) (check the path and its permissions)")
        }
    }

    public func isReady(_ pending: [OutboxEntry], now: Int64) -> Bool {
        guard let oldest = pending.first else { return false }
        return now - oldest.receivedAt >= maxAgeMs
    }

    public func deliver(_ entries: [OutboxEntry]) throws(DeliveryError) -> DeliveryReceipt {
        guard let first = entries.first else { return DeliveryReceipt() }
        let suffix = String(first.id)
        let stem = String(repeating: "0", count: max(0, 16 - suffix.count)) + suffix
        // Each resource goes straight to its type's file through a small buffer: a delivery
        // holds one resource in memory, not its files (which were 2 MB a batch).
        var files: [String: NDJSONFileWriter] = [:]
        do throws(DeliveryError) {
            func append(_ resource: FHIRResource) throws(DeliveryError) {
                let writer: NDJSONFileWriter
                if let open = files[resource.resourceType] {
                    writer = open
                } else {
                    writer = try NDJSONFileWriter(directory: directory, file: "\(resource.resourceType).\(stem).ndjson")
                    files[resource.resourceType] = writer
                }
                try writer.appendLine(JSONWriter.orderedBytes(resource.json))
            }
            var devices: Set<String> = []
            for entry in entries {
                if case .reading(let reading) = entry.content, devices.insert(reading.device.rawValue).inserted {
                    try append(mapping.device(of: reading, serial: entry.deviceSerial))
                }
                for resource in mapping.resources(for: entry) { try append(resource) }
            }
            for (_, writer) in files.sorted(by: { $0.key < $1.key }) { try writer.commit() }
        } catch {
            for writer in files.values { writer.discard() }
            throw error
        }
        try syncDirectory()
        return DeliveryReceipt()
    }

    private func syncDirectory() throws(DeliveryError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw DeliveryError(.storage, "cannot open the NDJSON directory: \(Self.errnoText())") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw DeliveryError(.storage, "cannot sync the NDJSON directory: \(Self.errnoText())") }
    }

    private static func errnoText() -> String { NDJSONFileWriter.errnoText() }
}
