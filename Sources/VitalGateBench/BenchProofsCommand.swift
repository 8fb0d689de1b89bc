import VitalGateCommands
public import ArgumentParser
import FoundationEssentials
import Sealing
import Telemetry
import Vault

/// `vitalgate bench proofs`: proof generation and verification time and bundle size against
/// vault size (sealing must keep proofs O(log n)).
public struct BenchProofsCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "proofs", abstract: "Proof generation/verification time and bundle size for vaults of growing size.")

    @Option(name: .long, parsing: .upToNextOption, help: "Vault sizes (readings).") var sizes: [Int] = [10_000, 1_000_000]
    @Option(name: .long, help: "Proofs timed per size.") var samples = 200
    @Flag(name: .long, help: "Print one JSON object per size.") var json = false

    public init() {}

    public func run() throws {
        for size in sizes { try measure(size) }
    }

    private func measure(_ size: Int) throws {
        let fill = ContinuousClock.now
        let fixture = try BenchFixture(readings: size)
        let vault = fixture.vault
        let fillSeconds = seconds(ContinuousClock.now - fill)
        let trust = try vault.trustAnchors(gatewayID: "bench")
        var rng = SystemRandomNumberGenerator()
        var proveTotal = Duration.zero, verifyTotal = Duration.zero
        var bytes = 0, auditPath = 0, logPath = 0
        for _ in 0..<samples {
            let id = Int64.random(in: 1...Int64(size), using: &rng)
            let t0 = ContinuousClock.now
            let bundle = try vault.proofBundle(readingID: id, gatewayID: "bench")
            let encoded = bundle.json
            let t1 = ContinuousClock.now
            let report = try BundleVerifier.verify(json: encoded, trust: trust)
            let t2 = ContinuousClock.now
            guard report.passed else { throw ValidationError("reading \(id) did not verify: \(report.text)") }
            proveTotal += t1 - t0
            verifyTotal += t2 - t1
            bytes += encoded.count
            auditPath = bundle.batch.auditPath.count
            logPath = max(logPath, bundle.log.inclusionPath.count)
        }
        let n = Double(samples)
        let line: [(String, JSONValue)] = [
            ("readings", .number(Double(size))),
            ("fill_seconds", .number((fillSeconds * 10).rounded() / 10)),
            ("prove_ms", .number((seconds(proveTotal) / n * 1e5).rounded() / 100)),
            ("verify_ms", .number((seconds(verifyTotal) / n * 1e5).rounded() / 100)),
            ("bundle_bytes", .number((Double(bytes) / n).rounded())),
            ("batch_audit_path", .number(Double(auditPath))),
            ("log_inclusion_path_max", .number(Double(logPath))),
        ]
        if json {
            print(JSONWriter.canonicalString(.object(line)))
        } else {
            print(String(printf: "%9d readings: prove %.2f ms, verify %.2f ms, bundle %.0f bytes, paths %d + %d hashes "
                         + "(filled in %.1f s)", size, seconds(proveTotal) / n * 1000, seconds(verifyTotal) / n * 1000,
                         Double(bytes) / n, auditPath, logPath, fillSeconds))
        }
    }

    private func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
