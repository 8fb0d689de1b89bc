internal import Cryptography
internal import Schemas
public import Telemetry
internal import Transparency

extension ConfigSections {
    /// Reads the section members of a document object (types only; ranges are checked later).
    static func read(from reader: inout SchemaReader) throws(ConfigRejection) -> ConfigSections {
        var sections = ConfigSections()
        if let value = reader.optional("ingest") {
            var r = try SchemaReader(value, path: reader.field("ingest"))
            let topics = try r.strings("topics")
            if let index = topics.firstIndex(where: { $0.isEmpty || $0.utf8.count > 256 }) {
                throw ConfigRejection(.malformed(field: r.field("topics") + "[\(index)]",
                                                 detail: "expected a topic filter of 1...256 bytes"))
            }
            sections.ingest = Ingest(topics: topics, maxBatch: try r.unsigned("max_batch"))
            try r.finish()
        }
        if let value = reader.optional("sealing") {
            var r = try SchemaReader(value, path: reader.field("sealing"))
            let readings = try r.unsigned("batch_max_readings")
            let age = try r.unsigned("batch_max_age_ms")
            let keys = try r.strings("witness_keys")
            for (index, text) in keys.enumerated() {
                guard let key = try? VerifierKey(parsing: text), key.signatureType == NoteKeyID.cosignatureV1 else {
                    throw ConfigRejection(.malformed(field: r.field("witness_keys") + "[\(index)]",
                                                     detail: "expected a C2SP cosignature/v1 verifier key"))
                }
            }
            sections.sealing = Sealing(batchMaxReadings: readings, batchMaxAgeMs: age, witnessKeys: keys)
            try r.finish()
        }
        if let value = reader.optional("detection") {
            var r = try SchemaReader(value, path: reader.field("detection"))
            sections.detection = Detection(enabled: try r.bool("enabled"), threshold: try r.number("threshold"))
            try r.finish()
        }
        if let value = reader.optional("storage") {
            var r = try SchemaReader(value, path: reader.field("storage"))
            var storage = Storage(maxBytes: try r.unsigned("max_bytes"))
            if r.optional("when_full") != nil {
                guard let whenFull = Storage.WhenFull(rawValue: try r.string("when_full")) else {
                    throw ConfigRejection(.malformed(field: r.field("when_full"), detail: "expected \"block\" or \"evict-oldest\""))
                }
                storage.whenFull = whenFull
            }
            if r.optional("keep_days") != nil { storage.keepDays = try r.unsigned("keep_days") }
            sections.storage = storage
            try r.finish()
        }
        if let value = reader.optional("ledger") {
            var r = try SchemaReader(value, path: reader.field("ledger"))
            guard let backend = LedgerBackend(rawValue: try r.string("backend")) else {
                throw ConfigRejection(.malformed(field: r.field("backend"), detail: "expected \"local\" or \"evm\""))
            }
            var ledger = Ledger(backend: backend)
            if backend == .evm {
                ledger.endpoint = try r.string("endpoint")
                guard ledger.endpoint!.hasPrefix("http://") || ledger.endpoint!.hasPrefix("https://") else {
                    throw ConfigRejection(.malformed(field: r.field("endpoint"), detail: "expected an http(s):// URL"))
                }
                ledger.chainID = try r.unsigned("chain_id")
                let contract = try r.string("contract")
                guard contract.utf8.count == 42, contract.hasPrefix("0x"), [UInt8](hex: String(contract.dropFirst(2))) != nil
                else { throw ConfigRejection(.malformed(field: r.field("contract"), detail: "expected 0x and 40 hex digits")) }
                ledger.contract = contract
                ledger.confirmations = try r.unsigned("confirmations")
            }
            sections.ledger = ledger
            try r.finish()
        }
        if let value = reader.optional("egress") {
            sections.egress = try readEgress(value, path: reader.field("egress"))
        }
        if let value = reader.optional("broker") {
            var r = try SchemaReader(value, path: reader.field("broker"))
            let url = try r.string("url")
            guard url.hasPrefix("mqtt://") || url.hasPrefix("mqtts://"), url.utf8.count <= 512 else {
                throw ConfigRejection(.malformed(field: r.field("url"), detail: "expected an mqtt:// or mqtts:// URL"))
            }
            sections.broker = Broker(url: url)
            try r.finish()
        }
        if let value = reader.optional("operators") {
            sections.operators = Operators(policy: try readPolicy(value, path: reader.field("operators")))
        }
        if let value = reader.optional("schemas") {
            sections.schemas = try readSchemas(value, path: reader.field("schemas"))
        }
        return sections
    }

    private static func readSchemas(_ value: JSONValue, path: String) throws(ConfigRejection) -> Schemas {
        var r = try SchemaReader(value, path: path)
        var files: [Schemas.File] = []
        var catalog: SchemaCatalog
        do { catalog = try SchemaCatalog(schemas: []) } catch {
            throw ConfigRejection(.malformed(field: path, detail: "\(error)"))
        }
        for (index, element) in try r.array("files").enumerated() {
            var f = try SchemaReader(element, path: r.field("files") + "[\(index)]")
            let name = try f.string("name")
            guard Self.isSchemaFileName(name), !files.contains(where: { $0.name == name }) else {
                throw ConfigRejection(.malformed(field: f.field("name"),
                                                 detail: "expected a unique file name of [A-Za-z0-9._-] ending in .json"))
            }
            let schema = try f.required("schema")
            // The schema must load exactly as a file in Firmware-Schemas/ would, and not clash with
            // the other schemas of the bundle (clashes with the agent's own catalogue are checked
            // when the document is applied).
            do { try catalog.add(try FirmwareSchema(json: schema, file: name)) } catch {
                throw ConfigRejection(.malformed(field: f.field("schema"), detail: error.description))
            }
            try f.finish()
            files.append(Schemas.File(name: name, schema: schema))
        }
        try r.finish()
        return Schemas(files: files)
    }

    static func isSchemaFileName(_ name: String) -> Bool {
        (6...128).contains(name.utf8.count) && name.hasSuffix(".json") && !name.hasPrefix(".")
            && name.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                     UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"): true
                default: false
                }
            }
    }

    static func readPolicy(_ value: JSONValue, path: String) throws(ConfigRejection) -> TrustPolicy {
        var r = try SchemaReader(value, path: path)
        let keys = try OperatorKey.readList(try r.array("keys"), path: r.field("keys"))
        var thresholds: [ConfigSection: Int] = [:]
        if let value = r.optional("thresholds") {
            var t = try SchemaReader(value, path: r.field("thresholds"))
            for name in t.keys {
                guard let section = ConfigSection(rawValue: name) else {
                    throw ConfigRejection(.malformed(field: t.field(name), detail: "unknown section"))
                }
                let count = try t.unsigned(name)
                thresholds[section] = Int(exactly: min(count, 1_000_000)) ?? 1_000_000
            }
            try t.finish()
        }
        try r.finish()
        return TrustPolicy(keys: keys, thresholds: thresholds)
    }

    /// The sections as JSON object members (absent sections omitted).
    public var jsonMembers: [(key: String, value: JSONValue)] {
        var members: [(key: String, value: JSONValue)] = []
        if let ingest {
            members.append(("ingest", .object([("topics", .array(ingest.topics.map { .string($0) })),
                                               ("max_batch", .number(Double(ingest.maxBatch)))])))
        }
        if let sealing {
            members.append(("sealing", .object([
                ("batch_max_readings", .number(Double(sealing.batchMaxReadings))),
                ("batch_max_age_ms", .number(Double(sealing.batchMaxAgeMs))),
                ("witness_keys", .array(sealing.witnessKeys.map { .string($0) })),
            ])))
        }
        if let detection {
            members.append(("detection", .object([("enabled", .bool(detection.enabled)),
                                                  ("threshold", .number(detection.threshold))])))
        }
        if let storage {
            var fields: [(key: String, value: JSONValue)] = [("max_bytes", .number(Double(storage.maxBytes)))]
            if let whenFull = storage.whenFull { fields.append(("when_full", .string(whenFull.rawValue))) }
            if let days = storage.keepDays { fields.append(("keep_days", .number(Double(days)))) }
            members.append(("storage", .object(fields)))
        }
        if let ledger {
            var fields: [(key: String, value: JSONValue)] = [("backend", .string(ledger.backend.rawValue))]
            if let endpoint = ledger.endpoint { fields.append(("endpoint", .string(endpoint))) }
            if let chainID = ledger.chainID { fields.append(("chain_id", .number(Double(chainID)))) }
            if let contract = ledger.contract { fields.append(("contract", .string(contract))) }
            if let confirmations = ledger.confirmations { fields.append(("confirmations", .number(Double(confirmations)))) }
            members.append(("ledger", .object(fields)))
        }
        if let broker { members.append(("broker", .object([("url", .string(broker.url))]))) }
        if let egress {
            var fields: [(key: String, value: JSONValue)] = [("fhir", .string(egress.fhir)), ("upstream", .string(egress.upstream))]
            if let topic = egress.upstreamTopic { fields.append(("upstream_topic", .string(topic))) }
            if let system = egress.patientIdentifierSystem { fields.append(("patient_identifier_system", .string(system))) }
            members.append(("egress", .object(fields)))
        }
        if let operators {
            let policy = operators.policy
            let keys: [JSONValue] = policy.keys.map {
                .object([("name", .string($0.name)), ("public_key", .string($0.publicKey.rawRepresentation.hexString))])
            }
            let thresholds: [(key: String, value: JSONValue)] = policy.thresholds.sorted { $0.key < $1.key }
                .map { ($0.key.rawValue, .number(Double($0.value))) }
            members.append(("operators", .object([("keys", .array(keys)), ("thresholds", .object(thresholds))])))
        }
        if let schemas {
            members.append(("schemas", .object([("files", .array(schemas.files.map {
                .object([("name", .string($0.name)), ("schema", $0.schema)])
            }))])))
        }
        return members
    }
}

extension ConfigSections {
    /// The `egress` section: URLs by scheme, a topic template without wildcards, a patient
    /// identifier system without `|`.
    static func readEgress(_ value: JSONValue, path: String) throws(ConfigRejection) -> Egress {
        var r = try SchemaReader(value, path: path)
        let fhir = try r.string("fhir")
        let lowerFHIR = fhir.lowercased()
        guard fhir.isEmpty || ((lowerFHIR.hasPrefix("http://") || lowerFHIR.hasPrefix("https://")) && fhir.utf8.count <= 2048)
        else { throw ConfigRejection(.malformed(field: r.field("fhir"), detail: "expected \"\" or an http(s):// URL")) }
        let upstream = try r.string("upstream")
        guard upstream.isEmpty || ((upstream.hasPrefix("mqtt://") || upstream.hasPrefix("mqtts://")) && upstream.utf8.count <= 512)
        else { throw ConfigRejection(.malformed(field: r.field("upstream"), detail: "expected \"\" or an mqtt(s):// URL")) }
        var egress = Egress(fhir: fhir, upstream: upstream)
        if let value = r.optional("upstream_topic") {
            guard let topic = value.stringValue else {
                throw ConfigRejection(.malformed(field: r.field("upstream_topic"), detail: "expected a string"))
            }
            guard !topic.isEmpty, topic.utf8.count <= 256, !topic.contains("+"), !topic.contains("#") else {
                throw ConfigRejection(.malformed(field: r.field("upstream_topic"), detail: "expected a topic of 1...256 bytes without wildcards"))
            }
            egress.upstreamTopic = topic
        }
        if let value = r.optional("patient_identifier_system") {
            guard let system = value.stringValue else {
                throw ConfigRejection(.malformed(field: r.field("patient_identifier_system"), detail: "expected a string"))
            }
            guard !system.isEmpty, system.utf8.count <= 256, !system.contains("|") else {
                throw ConfigRejection(.malformed(field: r.field("patient_identifier_system"), detail: "expected a URI without `|`"))
            }
            egress.patientIdentifierSystem = system
        }
        try r.finish()
        return egress
    }
}
