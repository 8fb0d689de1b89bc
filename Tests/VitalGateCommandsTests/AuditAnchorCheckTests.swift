import Telemetry
import Testing
@testable import VitalGateCommands

/// The locator `audit` holds stored anchor evidence to (the verifiers leave it unchecked).
@Suite struct AuditAnchorCheckTests {
    static let origin = "vitalgate.example/log/gw"

    static func entry(type: String = "local-checkpoint", locator: String) -> JSONValue {
        .object([("type", .string(type)), ("tree_size", .number(3)), ("root", .string(String(repeating: "ab", count: 32))),
                 ("locator", .string(locator)), ("body", .object([("checkpoint", .string("note"))]))])
    }

    @Test func theEmbeddedLogsLocatorPasses() {
        #expect(AnchorChecks.locatorProblem(Self.entry(locator: "embedded log \(Self.origin)"), origin: Self.origin) == nil)
    }

    @Test(arguments: ["embedded lOg \(origin)", "embedded log \(origin)x", "", "embedded log other/log"])
    func anAlteredLocatorIsNamed(_ locator: String) {
        #expect(AnchorChecks.locatorProblem(Self.entry(locator: locator), origin: Self.origin) != nil)
    }

    @Test func anEVMLocatorMustNameTheBodysChainAndBlock() {
        // A body that does not parse cannot back any locator.
        #expect(AnchorChecks.locatorProblem(Self.entry(type: "evm-receipt-log", locator: "chain 1 block 2 tx 0x"),
                                            origin: Self.origin) != nil)
    }
}
