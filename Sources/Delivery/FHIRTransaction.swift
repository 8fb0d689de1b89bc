import Telemetry
import Vault

/// One upload to a FHIR server: a `transaction` Bundle in which every resource is a
/// conditional create (`ifNoneExist` on its deterministic identifier), so a Bundle sent again
/// creates nothing new. Remembers which outbox record each Bundle entry came from.
struct FHIRTransaction {
    /// The Bundle's JSON.
    let body: [UInt8]
    /// How many entries the Bundle holds (the transaction-response must answer each).
    let entryCount: Int

    /// The transaction of `entries`: each device's Device resource first (once), then each
    /// record's resources in record order.
    init(_ entries: some Collection<OutboxEntry>, mapping: FHIRMapping) {
        var resources: [FHIRResource] = []
        var devices: Set<String> = []
        for entry in entries {
            if case .reading(let reading) = entry.content, devices.insert(reading.device.rawValue).inserted {
                resources.append(mapping.device(of: reading, serial: entry.deviceSerial))
            }
            resources += mapping.resources(for: entry)
        }
        self.init(resources: resources)
    }

    /// The transaction creating each of `resources` unless it exists.
    init(resources: [FHIRResource]) {
        let bundleEntries = resources.map { resource in
            JSONValue.object([
                ("resource", resource.json),
                ("request", .object([
                    ("method", .string("POST")),
                    ("url", .string(resource.resourceType)),
                    ("ifNoneExist", .string("identifier=" + Self.searchToken(resource.identifierSystem, resource.identifierValue))),
                ])),
            ])
        }
        let bundle = JSONValue.object([
            ("resourceType", .string("Bundle")),
            ("type", .string("transaction")),
            ("entry", .array(bundleEntries)),
        ])
        body = JSONWriter.orderedBytes(bundle)
        entryCount = bundleEntries.count
    }

    /// `system|value` as a search parameter value: FHIR's escapes for `\`, `|`, `,` and `$`
    /// inside each part, then percent-encoding of everything but unreserved characters and the
    /// `:` and `/` of URNs and URLs.
    static func searchToken(_ system: String, _ value: String) -> String {
        func part(_ text: String) -> String {
            guard text.utf8.contains(where: { "\\|,$".utf8.contains($0) }) else {
                return PercentEncoding.encode(text, keeping: "-._~:/")
            }
            var escaped = ""
            for character in text {
                if "\\|,$".contains(character) { escaped.append("\\") }
                escaped.append(character)
            }
            return PercentEncoding.encode(escaped, keeping: "-._~:/")
        }
        return part(system) + "|" + part(value)
    }

    /// Checks a `transaction-response`: one entry per request entry, each `200` or `201`
    /// (a transaction is all or nothing, so anything else means the answer is not one).
    /// - Returns: nil when it confirms every entry, or what is wrong with it.
    func problem(withResponse body: [UInt8]) -> String? {
        guard let response = try? JSONParser(maxBytes: 64 << 20, maxDepth: 64).parse(body) else {
            return "the answer to a transaction is not JSON"
        }
        guard response["resourceType"]?.stringValue == "Bundle",
              response["type"]?.stringValue == "transaction-response" else {
            return "the answer to a transaction is not a transaction-response Bundle"
        }
        let answers = response["entry"]?.arrayValue ?? []
        guard answers.count == entryCount else {
            return "the transaction-response answers \(answers.count) entries of \(entryCount)"
        }
        for answer in answers {
            let status = answer.value(at: ["response", "status"])?.stringValue ?? ""
            guard status.hasPrefix("200") || status.hasPrefix("201") else {
                return "an entry of the transaction-response has status '\(status.prefix(40))'"
            }
        }
        return nil
    }
}
