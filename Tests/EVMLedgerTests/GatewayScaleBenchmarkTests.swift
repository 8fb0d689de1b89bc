@testable import EVMLedger
import EVMLightClient
import Foundation
import Ledger
import Secp256k1
import Testing

/// Gas per anchored reading at 1, 10 and 100 gateways' rates, measured in real time against the
/// py-evm peer with a block every 2 s (automine off) and 2 confirmations. Opt-in, about 3 minutes:
///
///     VITALGATE_BENCH=1 swift test --filter GatewayScaleBenchmarkTests
///
/// Each gateway is one patient's five devices at DEVICES.md rates (4.02 readings/s), sealed in
/// batches that close every 10 s (the default `batch_max_age_ms`): a new checkpoint every 10 s.
/// Like the anchoring worker, a gateway keeps one anchor in flight, always for its newest
/// checkpoint, so an anchor covers every reading sealed since the previous anchored checkpoint.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["VITALGATE_BENCH"] == "1"))
struct GatewayScaleBenchmarkTests {
    static let readingsPerSecond = 4.02
    static let batchSeconds = 10.0
    static let blockSeconds = 2.0

    struct Gateway {
        let id: String
        let backend: EVMLedgerBackend
        let startOffset: Double
        var inFlight: (request: AnchorRequest, ticket: AnchorTicket)?
        var anchoredSize: UInt64 = 0
        var anchors = 0
        var gas: UInt64 = 0
    }

    @Test(arguments: [1, 10, 100])
    func gasPerAnchoredReading(gateways count: Int) throws {
        let fixture = try PeerFixture.start()
        defer { fixture.peer.stop() }
        try fixture.peer.setAutoMine(false)
        var gateways = try (0..<count).map { index in
            Gateway(id: "gw-\(index)", backend: try fixture.backend(confirmations: 2),
                    startOffset: Double(index) / Double(count) * Self.batchSeconds)
        }
        let duration = 60.0
        let start = Date()
        var lastBlock = start
        while Date().timeIntervalSince(start) < duration {
            let now = Date().timeIntervalSince(start)
            if Date().timeIntervalSince(lastBlock) >= Self.blockSeconds {
                try fixture.peer.mine()
                lastBlock = Date()
            }
            for index in gateways.indices {
                var gateway = gateways[index]
                // Checkpoints so far: one per closed batch.
                let size = UInt64(max(0, (now + gateway.startOffset) / Self.batchSeconds).rounded(.down))
                if let (request, ticket) = gateway.inFlight {
                    switch try gateway.backend.progress(of: ticket, for: request) {
                    case .pending(let next, _): gateway.inFlight = (request, next)
                    case .anchored:
                        gateway.anchors += 1
                        gateway.gas += try Self.gasUsed(ticket, gateway.backend)
                        gateway.anchoredSize = request.treeSize
                        gateway.inFlight = nil
                    case .resubmit: gateway.inFlight = nil
                    }
                } else if size > gateway.anchoredSize {
                    let request = try sampleRequest(gateway: gateway.id, size: size, rootByte: UInt8(truncatingIfNeeded: size))
                    gateway.inFlight = (request, try gateway.backend.submit(request, replacing: nil))
                }
                gateways[index] = gateway
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        let anchors = gateways.map(\.anchors).reduce(0, +)
        let gas = gateways.map(\.gas).reduce(0, +)
        let readings = gateways.map { Double($0.anchoredSize) * Self.batchSeconds * Self.readingsPerSecond }.reduce(0, +)
        let perMinute = Double(anchors) / duration * 60
        print(String(format: "gateway-scale anchoring: %d gateways, %.0f s, %d anchors (%.1f/min), %.0f readings anchored, "
                     + "%.1f readings/anchor, %llu gas, %.1f gas/reading, mean gas/anchor %.0f",
                     count, duration, anchors, perMinute, readings, readings / Double(max(anchors, 1)), gas,
                     Double(gas) / max(readings, 1), Double(gas) / Double(max(anchors, 1))))
        #expect(anchors >= count, "every gateway anchored at least once")
    }

    static func gasUsed(_ ticket: AnchorTicket, _ backend: EVMLedgerBackend) throws -> UInt64 {
        for hash in try EVMTicketState(ticket: ticket).allHashes {
            if let receipt = try backend.node.receipt(hash) { return receipt.gasUsed }
        }
        Issue.record("an anchored ticket has no receipt")
        return 0
    }
}
