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
        var files: [String: [UInt8]] = [:]
        var devices: Set<String> = []
        for entry in entries {
            if case .reading(let reading) = entry.content, devices.insert(reading.device.rawValue).inserted {
                append(mapping.device(of: reading, serial: entry.deviceSerial), to: &files)
            }
            for resource in mapping.resources(for: entry) { append(resource, to: &files) }
        }
        let suffix = String(first.id)
        let stem = String(repeating: "0", count: max(0, 16 - suffix.count)) + suffix
        for (type, bytes) in files.sorted(by: { $0.key < $1.key }) {
            try writeDurably(bytes, to: "\(type).\(stem).ndjson")
        }
        try syncDirectory()
        return DeliveryReceipt()
    }

    private func append(_ resource: FHIRResource, to files: inout [String: [UInt8]]) {
        files[resource.resourceType, default: []] += JSONWriter.orderedBytes(resource.json)
        files[resource.resourceType]!.append(UInt8(ascii: "\n"))
    }

    /// Writes `bytes` to a temporary file, fsyncs it and renames it to `file`.
    private func writeDurably(_ bytes: [UInt8], to file: String) throws(DeliveryError) {
        let temporary = "\(directory)/.\(file).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw DeliveryError(.storage, "cannot create \(file): \(Self.errnoText())") }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let reason = Self.errnoText()
                close(fd)
                throw DeliveryError(.storage, "cannot write \(file): \(reason)")
            }
            written += n
        }
        guard fsync(fd) == 0 else {
            let reason = Self.errnoText()
            close(fd)
            throw DeliveryError(.storage, "cannot sync \(file): \(reason)")
        }
        close(fd)
        guard rename(temporary, "\(directory)/\(file)") == 0 else {
            throw DeliveryError(.storage, "cannot rename \(file) into place: \(Self.errnoText())")
        }
    }

    private func syncDirectory() throws(DeliveryError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw DeliveryError(.storage, "cannot open the NDJSON directory: \(Self.errnoText())") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw DeliveryError(.storage, "cannot sync the NDJSON directory: \(Self.errnoText())") }
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
