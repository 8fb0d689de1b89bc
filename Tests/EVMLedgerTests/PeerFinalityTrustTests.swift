@testable import EVMLedger
import EVMLightClient
import Ledger
import Secp256k1
import Testing

/// Finality trust against real py-evm peers (issue 21, item 3): a pinned block on the chain, a
/// witness with the same chain, and a witness with another chain at the same heights. (Part of
/// the serialized peer suite: its peer and contract.)
extension PeerIntegrationTests {
    @Test func aPinnedBlockAboveTheAnchorMakesItFinalAndAnOlderPinWaits() throws {
        let key = PrivateKey()
        let request = try sampleRequest(gateway: "gw-pinned")
        let ticket = try fixture.backend(key: key).submit(request, replacing: nil)
        let block = try peer.blockNumber()  // automine: the anchor's block
        try peer.mine(3)

        // An older pin: the anchor is newer than it, and waits.
        let old = try fixture.backend(confirmations: 12, endpoint: peer.endpoint, key: key,
                                      trust: .init(pinnedBlocks: [try peer.blockHash(block - 1)]))
        let detail = try #require(try old.progress(of: ticket, for: request).pendingDetail)
        #expect(detail.contains("block \(block) is newer than the newest pinned block (\(block - 1))"), "\(detail)")

        // A pin three blocks above: final, whatever the confirmation count, with the chain up to it.
        let pin = try peer.blockHash(block + 3)
        let pinned = try fixture.backend(confirmations: 12, endpoint: peer.endpoint, key: key,
                                         trust: .init(pinnedBlocks: [pin]))
        let evidence = try #require(try pinned.progress(of: ticket, for: request).evidence, "anchored")
        let body = try EVMAnchorEvidence(body: evidence.body)
        guard case .pinned(let headers) = body.finality else { Issue.record("\(body.finality)"); return }
        #expect(headers.count == 3 && body.blockNumber == block)
        print("EVMLedger: pinned evidence with \(headers.count) headers: \(evidence.body.count) bytes")
        try EVMEvidenceVerifier(chainID: peer.chainID, contract: fixture.contract, senders: [key.publicKey.ethereumAddress],
                                trust: .trustedBlocks(hashes: [pin], minimumConfirmations: 12))
            .verify(evidence, for: request)
    }

    @Test func aWitnessWithTheSameChainAgreesAndOneWithAnotherChainIsRefused() throws {
        let key = PrivateKey()
        let request = try sampleRequest(gateway: "gw-witnessed")
        let ticket = try fixture.backend(key: key).submit(request, replacing: nil)
        try peer.mine(2)

        // The same node under another URL agrees (an independent node with the same chain would).
        let alias = HTTPEndpoint(host: "localhost", port: peer.endpoint.port)
        let agreed = try fixture.backend(endpoint: peer.endpoint, key: key,
                                         trust: .init(witnesses: [.init(endpoint: alias, transport: peer.transport())]))
        #expect(try agreed.progress(of: ticket, for: request).evidence != nil)

        // Another py-evm chain, mined past the anchor's height: other blocks at those heights.
        let other = try EVMPeer()
        defer { other.stop() }
        try other.mine(Int(try peer.blockNumber()) + 5)
        let refused = try fixture.backend(endpoint: peer.endpoint, key: key,
                                          trust: .init(witnesses: [.init(endpoint: other.endpoint, transport: other.transport())]))
        expectLedgerError(.untrustworthyNode, step: "witness") { () throws(LedgerError) in
            try refused.progress(of: ticket, for: request)
        }
    }
}
