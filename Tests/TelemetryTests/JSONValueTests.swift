import Telemetry
import Testing

@Suite struct JSONValueTests {
    private let document: JSONValue = .object([
        ("SpO2", .object([("v", .number(97)), ("", .object([("x", .bool(true))]))])),
        ("seq", .number(7)),
        ("", .number(1)),
    ])

    @Test("dotted paths follow nested objects; empty components are keys too")
    func dottedPaths() {
        #expect(document.value(at: "seq") == .number(7))
        #expect(document.value(at: "SpO2.v") == .number(97))
        #expect(document.value(at: "SpO2..x") == .bool(true))
        #expect(document.value(at: "") == .number(1))
        #expect(document.value(at: "SpO2.") == .object([("x", .bool(true))]))
        #expect(document.value(at: "SpO2.missing") == nil)
        #expect(document.value(at: "seq.v") == nil)
        #expect(document.value(at: "spo2.v") == nil)
        #expect(document.value(at: "SpO2.v") == document.value(at: ["SpO2", "v"]))
    }
}
