import FuzzSupport
import Sealing
import VitalGateCommands

/// What `vitalgate verify` reads from an auditor: a proof bundle, verified step by step against
/// pinned trust anchors (with the anchor evidence checks `verify` runs), and the trust file
/// itself. An input starting with `T` is a trust file; anything else is a bundle.
///
/// Oracle: a report that passes has every step passed.
func fuzzProofBundle(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = bytes(data, size)
    if input.first == UInt8(ascii: "T") {
        _ = try? TrustAnchors(json: Array(input.dropFirst()))
        return 0
    }
    guard let bundle = try? ProofBundle(json: input) else { return 0 }
    let trust = BundleFixture.trust
    let check = AnchorChecks.check(trust: trust, gatewayID: trust.gatewayID ?? bundle.batch.header.gatewayID)
    let report = BundleVerifier.verify(bundle, trust: trust, anchorCheck: check)
    _ = report.text
    _ = report.json
    return 0
}

/// The anchors the seed bundles verify against (Fuzz/Fixtures/bundle-trust.json, from
/// `vitalgate keys trust` on the vault the seeds were proved from).
enum BundleFixture {
    static let trust: TrustAnchors = {
        let path = repositoryRoot() + "/Fuzz/Fixtures/bundle-trust.json"
        do { return try TrustAnchors(json: try readFile(path)) } catch {
            finding("cannot load \(path): \(error)")
        }
    }()
}
