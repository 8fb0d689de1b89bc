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
        #expect(document.sections.present == [.ingest, .sealing, .detection, .storage, .ledger, .broker])
    }
}
