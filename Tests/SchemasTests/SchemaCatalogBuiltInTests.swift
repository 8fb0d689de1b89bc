import Foundation
import Schemas
import Telemetry
import Testing
import VitalGateTesting

/// The firmware schemas built into the binary (`scripts/embed-schemas.sh`) and a schema directory
/// that extends or overrides them.
@Suite struct SchemaCatalogBuiltInTests {
    static let directory = Fixtures.repositoryRoot.appendingPathComponent("Firmware-Schemas").path

    /// Fails after a schema file is added or changed until `scripts/embed-schemas.sh` is run.
    @Test func builtInCopyEqualsTheFirmwareSchemasDirectory() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.directory)
            .filter { $0.hasSuffix(".json") }.sorted()
        #expect(SchemaCatalog.builtInFiles.map(\.name) == names, "run scripts/embed-schemas.sh")
        for file in SchemaCatalog.builtInFiles {
            let onDisk = try Data(contentsOf: URL(fileURLWithPath: Self.directory).appendingPathComponent(file.name))
            #expect(Array(file.text.utf8) == Array(onDisk), "\(file.name) differs: run scripts/embed-schemas.sh")
        }
    }

    @Test func builtInCatalogIsTheDirectorysCatalog() throws {
        let builtIn = try SchemaCatalog.builtIn()
        let loaded = try SchemaCatalog.load(directory: Self.directory)
        #expect(builtIn.schemas.map(\.id) == loaded.schemas.map(\.id))
        #expect(builtIn.schemas.map(\.model) == loaded.schemas.map(\.model))
        #expect(try SchemaCatalog.builtIn(extendedBy: Self.directory).schemas.map(\.id).sorted()
            == loaded.schemas.map(\.id).sorted(), "the shipped directory itself replaces each schema by itself")
    }

    @Test func aDirectoryFileWithABuiltInIdReplacesItAndOthersAreAdded() throws {
        let dir = try TemporaryDirectory(prefix: "vitalgate-schemas")
        defer { dir.remove() }
        let fw1 = try String(contentsOfFile: Self.directory + "/oxipatch-fw1.json", encoding: .utf8)
        // oxipatch-fw1 narrowed to 1.0.0..<1.5.0, and a new oxipatch-fw9 for 9.x.
        try fw1.replacingOccurrences(of: #""below": "2.0.0""#, with: #""below": "1.5.0""#)
            .write(toFile: dir.appending("narrow.json").path, atomically: true, encoding: .utf8)
        try fw1.replacingOccurrences(of: #""id": "oxipatch-fw1""#, with: #""id": "oxipatch-fw9""#)
            .replacingOccurrences(of: #"{ "min": "1.0.0", "below": "2.0.0" }"#, with: #"{ "min": "9.0.0", "below": "10.0.0" }"#)
            .write(toFile: dir.appending("fw9.json").path, atomically: true, encoding: .utf8)
        let catalog = try SchemaCatalog.builtIn(extendedBy: dir.path)
        #expect(catalog.schemas.count == SchemaCatalog.builtInFiles.count + 1)
        #expect(catalog.schema(model: "OxiPatch", firmware: "1.4.2")?.id == "oxipatch-fw1")
        #expect(catalog.schema(model: "OxiPatch", firmware: "1.6.0") == nil, "the directory's oxipatch-fw1 won")
        #expect(catalog.schema(model: "OxiPatch", firmware: "9.1.0")?.id == "oxipatch-fw9")
        #expect(catalog.schema(model: "OxiPatch", firmware: "2.0.3")?.id == "oxipatch-fw2")
    }

    @Test func errorsNameTheFileOrDirectory() throws {
        let dir = try TemporaryDirectory(prefix: "vitalgate-schemas")
        defer { dir.remove() }
        let overlapping = dir.appending("other.json").path
        try String(contentsOfFile: Self.directory + "/oxipatch-fw1.json", encoding: .utf8)
            .replacingOccurrences(of: #""id": "oxipatch-fw1""#, with: #""id": "oxipatch-other""#)
            .write(toFile: overlapping, atomically: true, encoding: .utf8)
        let overlap = try #require(throws: SchemaError.self) { try SchemaCatalog.builtIn(extendedBy: dir.path) }
        #expect(overlap.description == "firmware schema \(overlapping): firmware range overlaps schema oxipatch-fw1")

        try "{\"id\": ".write(toFile: overlapping, atomically: true, encoding: .utf8)
        let broken = try #require(throws: SchemaError.self) { try SchemaCatalog.builtIn(extendedBy: dir.path) }
        #expect(broken.description == "firmware schema \(overlapping): not valid JSON: invalid JSON at byte 7")

        let missing = try #require(throws: SchemaError.self) { try SchemaCatalog.builtIn(extendedBy: dir.path + "/none") }
        #expect(missing.description == "firmware schema directory \(dir.path)/none: no such directory")
        let file = try #require(throws: SchemaError.self) { try SchemaCatalog.builtIn(extendedBy: overlapping) }
        #expect(file.description == "firmware schema directory \(overlapping): not a directory")
    }
}
