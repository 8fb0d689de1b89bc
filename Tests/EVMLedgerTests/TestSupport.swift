import EVMLedger
import EVMLightClient
import HTTP
import Ledger
import Secp256k1
import Telemetry
import Testing

/// Decodes hex test constants; a typo in a constant is a test bug, so it traps.
func hex(_ text: String) -> [UInt8] {
    guard let bytes = Hex.decode(text) else { fatalError("bad hex constant in test: \(text.prefix(16))…") }
    return bytes
}

/// Expects `body` to throw a ``LedgerError`` with `code` (and `step`, when given).
func expectLedgerError<T>(_ code: LedgerError.Code, step: String? = nil,
                          sourceLocation: SourceLocation = #_sourceLocation,
                          _ body: () throws(LedgerError) -> T) {
    do {
        let value = try body()
        Issue.record("expected \(code)\(step.map { " at \($0)" } ?? ""), got \(value)", sourceLocation: sourceLocation)
    } catch {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        if let step {
            #expect(error.step == step, "\(error)", sourceLocation: sourceLocation)
        }
    }
}

/// Expects `body` to fail in the transport: a ``LedgerError`` with `code` whose underlying error
/// is an `HTTPError` with `transport` (what libcurl reported). Returns the error.
@discardableResult
func expectTransportError<T>(_ code: LedgerError.Code, transport: HTTPError.Code,
                             sourceLocation: SourceLocation = #_sourceLocation,
                             _ body: () throws(LedgerError) -> T) -> LedgerError? {
    do {
        let value = try body()
        Issue.record("expected \(code) (\(transport)), got \(value)", sourceLocation: sourceLocation)
        return nil
    } catch {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        #expect((error.underlying as? HTTPError)?.code == transport, "\(error)", sourceLocation: sourceLocation)
        return error
    }
}

/// A request with a recognisable root.
func sampleRequest(gateway: String = "gw-0001", size: UInt64 = 1234, rootByte: UInt8 = 0xAB) throws(LedgerError)
    -> AnchorRequest {
    try AnchorRequest(gatewayID: gateway, origin: "vitalgate.example/\(gateway)", treeSize: size,
                      rootHash: (0..<32).map { UInt8(truncatingIfNeeded: Int(rootByte) &+ $0) })
}
