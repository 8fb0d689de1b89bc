public import Ledger
import Cryptography
import Telemetry
public import Transparency

/// What a ledger backend's test provides to the shared conformance suite.
public protocol LedgerConformanceHarness {
    /// The backend under test.
    var backend: any LedgerBackend { get }
    /// Its offline evidence verifier, configured with what an auditor would pin.
    var verifier: any AnchorEvidenceVerifier { get }
    /// A second backend instance with the same configuration (a restarted agent).
    func restartedBackend() throws -> any LedgerBackend
    /// Makes the ledger move on so pending submissions can become final (evm: mine a block).
    func advance() throws
}

/// The behaviour every `LedgerBackend` must show (issue: "both pass one shared conformance
/// suite"). Each check throws ``LedgerConformance/Failure`` naming what did not hold.
public enum LedgerConformance {
    /// A violated expectation.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// A test log: signed checkpoints of growing size for one gateway.
    public struct TestLog: Sendable {
        public let gatewayID: String
        public let origin: String
        private let signer: NoteSigner

        /// A log whose key is derived from `seed`.
        public init(gatewayID: String = "conformance-gw", seed: UInt8 = 42) throws {
            self.gatewayID = gatewayID
            origin = "vitalgate.gateway/\(gatewayID)"
            signer = try NoteSigner(name: origin, privateKey: try Ed25519.PrivateKey(rawRepresentation: [UInt8](repeating: seed, count: 32)))
        }

        /// The log's verifier key (what an auditor pins).
        public var verifierKey: VerifierKey { signer.verifierKey }

        /// A request for a checkpoint of `size` leaves (`leaf i` = SHA-256 of i).
        public func request(size: UInt64) throws -> AnchorRequest {
            var tree = MerkleTree()
            for index in 0..<size { tree.append(leaf: SHA256.hash(Array("leaf \(index)".utf8))) }
            let signed = try SignedCheckpoint(checkpoint: try Checkpoint(origin: origin, size: size, rootHash: tree.rootHash),
                                              logSigner: signer)
            return try AnchorRequest(gatewayID: gatewayID, origin: origin, treeSize: size, rootHash: tree.rootHash,
                                     signedNote: signed.serialized)
        }
    }

    /// Runs every check against `harness`.
    public static func runAll(_ harness: some LedgerConformanceHarness, log: TestLog) throws {
        let first = try log.request(size: 3)
        let evidence = try anchor(first, harness: harness)
        try evidenceVerifiesAndRoundTrips(evidence, first, harness)
        try evidenceDoesNotProveAnotherCheckpoint(evidence, try log.request(size: 4), harness)
        try tamperedEvidenceIsRejected(evidence, first, harness)
        try aTicketSurvivesARestart(try log.request(size: 5), harness)
    }

    /// Submits `request` and drives it to `.anchored` (resubmitting when asked).
    public static func anchor(_ request: AnchorRequest, harness: some LedgerConformanceHarness,
                              backend: (any LedgerBackend)? = nil, maxRounds: Int = 60) throws -> AnchorEvidence {
        let backend = backend ?? harness.backend
        var ticket = try backend.submit(request, replacing: nil)
        for _ in 0..<maxRounds {
            switch try backend.progress(of: ticket, for: request) {
            case .anchored(let evidence): return evidence
            case .pending(let next, _): ticket = next
            case .resubmit: ticket = try backend.submit(request, replacing: nil)
            }
            try harness.advance()
        }
        throw Failure("not anchored after \(maxRounds) rounds")
    }

    static func evidenceVerifiesAndRoundTrips(_ evidence: AnchorEvidence, _ request: AnchorRequest,
                                              _ harness: some LedgerConformanceHarness) throws {
        guard harness.verifier.evidenceTypes.contains(evidence.type) else {
            throw Failure("the verifier does not list evidence type \(evidence.type)")
        }
        guard evidence.treeSize == request.treeSize, evidence.rootHash == request.rootHash else {
            throw Failure("the evidence states another size or root")
        }
        try harness.verifier.verify(evidence, for: request)
        let reparsed = try AnchorEvidence(json: try JSONParser(maxBytes: 1 << 21, maxDepth: 16)
            .parse(JSONWriter.canonicalBytes(evidence.json)))
        guard reparsed == evidence else { throw Failure("evidence does not survive its JSON form") }
        try harness.verifier.verify(reparsed, for: request)
    }

    static func evidenceDoesNotProveAnotherCheckpoint(_ evidence: AnchorEvidence, _ other: AnchorRequest,
                                                      _ harness: some LedgerConformanceHarness) throws {
        guard let error = verificationError(evidence, other, harness.verifier) else {
            throw Failure("evidence for size \(evidence.treeSize) verified for size \(other.treeSize)")
        }
        guard error.code == .invalidEvidence else { throw Failure("unexpected error \(error)") }
    }

    /// Changes one character in each string of the body (hex digits stay hex): every change must fail.
    static func tamperedEvidenceIsRejected(_ evidence: AnchorEvidence, _ request: AnchorRequest,
                                           _ harness: some LedgerConformanceHarness) throws {
        let body = try JSONParser(maxBytes: 1 << 21, maxDepth: 16).parse(evidence.body)
        var variants = 0
        for path in stringPaths(body) {
            var tampered = evidence
            tampered.body = JSONWriter.canonicalBytes(replacing(path, in: body))
            if tampered.body == evidence.body { continue }
            variants += 1
            guard let error = verificationError(tampered, request, harness.verifier) else {
                throw Failure("evidence with \(path.joined(separator: ".")) changed still verifies")
            }
            guard error.code == .invalidEvidence else { throw Failure("unexpected error \(error)") }
        }
        guard variants > 0 else { throw Failure("the evidence body has nothing to tamper with") }
    }

    static func aTicketSurvivesARestart(_ request: AnchorRequest, _ harness: some LedgerConformanceHarness) throws {
        let ticket = try harness.backend.submit(request, replacing: nil)
        let restarted = try harness.restartedBackend()
        var current = ticket
        for _ in 0..<60 {
            switch try restarted.progress(of: current, for: request) {
            case .anchored(let evidence):
                try harness.verifier.verify(evidence, for: request)
                return
            case .pending(let next, _): current = next
            case .resubmit(let reason): throw Failure("a restarted backend lost the submission: \(reason)")
            }
            try harness.advance()
        }
        throw Failure("a restarted backend did not finish the submission")
    }

    /// The error `verifier` throws for `evidence`, or `nil` if it verifies.
    public static func verificationError(_ evidence: AnchorEvidence, _ request: AnchorRequest,
                                  _ verifier: any AnchorEvidenceVerifier) -> LedgerError? {
        let result = Result { () throws(LedgerError) in try verifier.verify(evidence, for: request) }
        if case .failure(let error) = result { return error }
        return nil
    }

    private static func stringPaths(_ value: JSONValue, prefix: [String] = []) -> [[String]] {
        switch value {
        case .string: return [prefix]
        case .array(let items): return items.indices.flatMap { stringPaths(items[$0], prefix: prefix + ["\($0)"]) }
        case .object(let members): return members.flatMap { stringPaths($0.value, prefix: prefix + [$0.key]) }
        default: return []
        }
    }

    private static func replacing(_ path: [String], in value: JSONValue) -> JSONValue {
        guard let head = path.first else {
            guard case .string(let text) = value, !text.isEmpty else { return value }
            var scalars = Array(text.unicodeScalars)
            // Change the last character that is a hex digit (else the last one) to another hex digit.
            let index = scalars.lastIndex { "0123456789abcdef".unicodeScalars.contains($0) } ?? scalars.count - 1
            scalars[index] = scalars[index] == "0" ? "1" : "0"
            return .string(String(String.UnicodeScalarView(scalars)))
        }
        switch value {
        case .array(var items):
            let index = Int(head)!
            items[index] = replacing(Array(path.dropFirst()), in: items[index])
            return .array(items)
        case .object(let members):
            return .object(members.map { $0.key == head ? ($0.key, replacing(Array(path.dropFirst()), in: $0.value)) : $0 })
        default:
            return value
        }
    }
}
