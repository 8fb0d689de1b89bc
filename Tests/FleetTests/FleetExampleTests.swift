import Fleet
import Foundation
import Telemetry
import Testing

@Suite struct FleetExampleTests {
    /// `Config/fleet-example.json` is a valid, in-range unsigned document.
    @Test func exampleDocumentParses() throws {
        let here = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        let url = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Config/fleet-example.json")
        let json = try JSONParser().parse(Array(try Data(contentsOf: url)))
        let document = try ConfigDocument(json: json)
        #expect(document.target == .group("ward-3"))
        #expect(document.version == 42)
        #expect(document.sections.firstUnsafeField() == nil)
        #expect(document.sections.present == [.ingest, .sealing, .detection, .storage, .ledger, .broker, .egress])
    }

    static let config = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Config")

    /// `Config/operators-example.json` is a valid operators file (two keys, detection needs both).
    @Test func exampleOperatorsFileParses() throws {
        let json = try JSONParser().parse(Array(try Data(contentsOf: Self.config.appendingPathComponent("operators-example.json"))))
        let policy = try TrustPolicy(json: json)
        #expect(policy.keys.map(\.name) == ["alice", "bob"] && policy.threshold(for: .detection) == 2)
    }

    /// The JSON Schema for operators' tooling names exactly the sections the agent parses, and
    /// the example document uses only properties it declares.
    @Test func documentSchemaMatchesTheParser() throws {
        let schema = try JSONParser(maxBytes: 1 << 20, maxDepth: 32)
            .parse(Array(try Data(contentsOf: Self.config.appendingPathComponent("fleet-document.schema.json"))))
        let properties = try #require(schema["properties"]?.objectValue).map(\.key)
        #expect(Set(properties) == Set(["format", "target", "version", "not_before", "expires"]
            + ConfigSection.allCases.map(\.rawValue)))
        let thresholdNames = schema.value(at: ["properties", "operators", "properties", "thresholds", "propertyNames", "enum"])?
            .arrayValue?.compactMap(\.stringValue)
        #expect(thresholdNames == ConfigSection.allCases.map(\.rawValue))
        let example = try JSONParser().parse(Array(try Data(contentsOf: Self.config.appendingPathComponent("fleet-example.json"))))
        #expect(try #require(example.objectValue).allSatisfy { properties.contains($0.key) })
    }
}
