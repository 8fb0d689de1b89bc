public import ArgumentParser
import Consent
import Delivery
import FoundationEssentials
import Telemetry
import Vault

/// `vitalgate export`: decrypted canonical readings (or, with `--alerts`, stored alerts) as JSON
/// Lines, or as FHIR R4 resources (`--fhir`) for an offline hand-off.
public struct ExportCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write decrypted canonical readings (or alerts) as JSON Lines.",
        discussion: """
            Times are device times (alert times with --alerts): ms since the epoch or RFC 3339 \
            (2025-11-23T08:00:00Z); --to is exclusive. Each alert carries `record_id`, the sealed \
            record that `vitalgate prove` proves. With --fhir, the same records as FHIR R4 resources, \
            mapped as the fhir and ndjson sinks map them (docs/FHIR.md), with the identifiers they \
            deliver under (so a server that received them from the agent creates nothing twice): \
            `ndjson` (one resource per line, each device's Device before its first Observation) or \
            `bundle` (one transaction Bundle of conditional creates, to POST to a FHIR server). \
            Every record is checked against consent for --recipient and --purpose as a sink's are \
            (docs/CONSENT.md): one not permitted is left out and counted, one whose identity is \
            denied names the patient by `patient_pseudonym`; each patient's disclosure is recorded.
            """)

    @Option(name: .long, help: "Data directory.") var dataDir = "data"
    @Option(name: .long, help: "Only this patient identifier.") var patient: String?
    @Option(name: .long, help: "Only this device id.") var device: String?
    @Option(name: .long, help: "From this device time (inclusive).") var from: String?
    @Option(name: .long, help: "Up to this device time (exclusive).") var to: String?
    @Option(name: .long, help: "Output file (default: standard output).") var out: String?
    @Flag(name: .long, help: "Export the stored alerts instead of readings.") var alerts = false
    @Option(name: .long, help: ArgumentHelp("Write FHIR R4 resources: ndjson or bundle.", valueName: "format"))
    var fhir: FHIRExportFormat?
    @Option(name: .long, help: "The gateway id (with --fhir: part of every identifier; as [gateway] id).")
    var gateway: String?
    @Option(name: .long, help: "The system of patient identifiers (with --fhir; as [egress] patient_identifier_system).")
    var patientIdentifierSystem = FHIRMapping.defaultPatientIdentifierSystem
    @Option(name: .long, help: "Who receives the export, as consent names recipients.")
    var recipient = ExportConsent.defaultRecipient
    @Option(name: .long, help: "Why: a PurposeOfUse code (TREAT, HRESCH, …).")
    var purpose = "TREAT"
    @Option(name: .long, help: ArgumentHelp(
        "The agent's configuration, for its [consent] policy (default: the file run reads, else consent off).",
        valueName: "path"))
    var config: String?

    /// The forms of `--fhir`.
    enum FHIRExportFormat: String, ExpressibleByArgument {
        case ndjson, bundle
    }

    public init() {}

    static func parseTime(_ text: String?) throws -> Int64? {
        guard let text else { return nil }
        if let ms = Int64(text) { return ms }
        let date = (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
            ?? (try? Date(text, strategy: .iso8601))
        guard let date else { throw ValidationError("not a time: use ms since the epoch or RFC 3339") }
        return Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    public func validate() throws {
        if PurposeOfUse(rawValue: purpose) == nil {
            throw ValidationError("--purpose must be a PurposeOfUse code: 2-16 upper-case letters (TREAT, HRESCH, …)")
        }
        if !AgentConfig.isRecipientID(recipient) {
            throw ValidationError("--recipient must be 1-128 characters of A-Z a-z 0-9 . _ - : /")
        }
        if fhir != nil, gateway == nil {
            throw ValidationError("--fhir needs --gateway ID: the gateway's id is part of every FHIR identifier")
        }
    }

    public func run() throws {
        let paths = DataPaths(dataDir)
        let book = try ExportConsent.book(configPath: config, vault: try paths.openVault())
        // What the export writes is recorded in the sealed disclosure log once the file is written.
        try run(consent: book, recorder: VaultDisclosureRecorder(path: paths.vault, keys: try FileKeyStore.load(path: paths.keyFile)))
    }

    /// Exports, checking every record against `book` and recording the disclosures in `recorder`.
    func run(consent book: ConsentBook, recorder: any DisclosureRecorder) throws {
        var gate = ExportConsent(consent: SinkConsent(book: book, recipient: recipient, purpose: PurposeOfUse(rawValue: purpose) ?? .treatment,
                                                      whenDenied: .skip, recorder: recorder),
                                 recorder: recorder, now: Int64(Date().timeIntervalSince1970 * 1000))
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
        func write(_ bytes: [UInt8]) {
            buffer += bytes
            buffer.append(0x0A)
            if buffer.count > 1 << 16 {
                sink.write(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        var fhirResources = FHIRExportResources(format: fhir, mapping: FHIRMapping(
            gatewayID: gateway ?? "", patientIdentifierSystem: patientIdentifierSystem), write: write)
        if fhir != nil, !alerts {
            fhirResources.serials = try vault.deviceStates().reduce(into: [:]) { $0[$1.key.rawValue] = $1.value.serial }
            fhirResources.valueFaults = try vault.valueFaults(from: .min, to: .max)
        }
        if alerts {
            try vault.exportAlerts(filter, onError: skipped) { stored in
                guard let alert = gate.admit(alert: stored) else { return }
                exported += 1
                guard fhir != nil else { return write(JSONWriter.canonicalBytes(alert)) }
                fhirResources.add(alert: alert)
            }
        } else {
            try vault.export(filter, onError: skipped) { stored in
                guard let record = gate.admit(stored) else { return }
                exported += 1
                guard fhir != nil else { return write(JSONWriter.canonicalBytes(record.json)) }
                fhirResources.add(record)
            }
        }
        fhirResources.finish()
        guard sink.write(buffer) else { throw ValidationError("cannot write the export") }
        do { try gate.record() } catch {
            throw ValidationError("the export was written, but its disclosures could not be recorded")
        }
        FileStream.standardError.write("exported \(exported) \(what)s\(fhir.map { " as \(fhirResources.count) FHIR resources (\($0))" } ?? "")"
                                       + " to \(recipient) for \(purpose)\n")
        if gate.withheld > 0 || gate.identityWithheld > 0 {
            FileStream.standardError.write("consent: \(gate.withheld) \(what)s left out, \(gate.identityWithheld) named by pseudonym "
                                           + "(identity not permitted)\n")
        }
        if !failed.isEmpty { throw ExitCode(1) }
    }
}

/// The FHIR form of an export: each record's resources (and each device's Device once), written
/// as NDJSON lines at once, or gathered into one transaction Bundle written at the end.
struct FHIRExportResources {
    let format: ExportCommand.FHIRExportFormat?
    let mapping: FHIRMapping
    let write: ([UInt8]) -> Void
    /// Each device's serial number, for its Device resource.
    var serials: [String: String] = [:]
    /// The value checks each reading failed (by device and arrival), for its interpretation.
    var valueFaults: [ValueFaultKey: [String]] = [:]
    private var devices: Set<String> = []
    private var gathered: [FHIRResource] = []
    /// Resources written or gathered.
    private(set) var count = 0

    init(format: ExportCommand.FHIRExportFormat?, mapping: FHIRMapping, write: @escaping ([UInt8]) -> Void) {
        self.format = format
        self.mapping = mapping
        self.write = write
    }

    mutating func add(_ record: ExportedReading) {
        let device = record.reading.device.rawValue
        if devices.insert(device).inserted { emit([mapping.device(of: record.reading, serial: serials[device])]) }
        let (mapping, patient) = named(record.patient, pseudonym: record.patientPseudonym)
        emit(mapping.resources(for: record.reading, patient: patient,
                               questionedBy: valueFaults[ValueFaultKey(device: device, at: record.reading.receivedAt)] ?? []))
    }

    mutating func add(alert: JSONValue) {
        guard let recordID = alert["record_id"]?.numberValue else { return }  // a pre-sealing alert has no record
        let (mapping, patient) = named(alert["patient"]?.stringValue, pseudonym: alert["patient_pseudonym"]?.stringValue)
        emit(mapping.resources(forAlert: alert, recordID: Int64(recordID), patient: patient))
    }

    /// The mapping and the name of a patient: by MRN, or, where consent withheld the identity,
    /// by pseudonym (docs/FHIR.md).
    private func named(_ patient: String?, pseudonym: String?) -> (FHIRMapping, String?) {
        guard patient == nil, let pseudonym else { return (mapping, patient) }
        var byPseudonym = mapping
        byPseudonym.patientIdentifierSystem = mapping.patientPseudonymSystem
        return (byPseudonym, pseudonym)
    }

    /// Writes the Bundle (for `bundle`).
    func finish() {
        if format == .bundle { write(FHIRSink.transactionBundle(resources: gathered)) }
    }

    private mutating func emit(_ resources: [FHIRResource]) {
        count += resources.count
        if format == .bundle {
            gathered += resources
        } else {
            for resource in resources { write(JSONWriter.orderedBytes(resource.json)) }
        }
    }
}
