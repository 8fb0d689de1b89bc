public import Telemetry

/// The outcome of verifying a proof bundle: one entry per named step, in a fixed order, each
/// PASS, FAIL or SKIP with a short reason. The bundle verifies when no step fails.
///
/// Reasons name indexes, sizes, key names and hashes; never reading content.
public struct VerificationReport: Sendable, Equatable {
    /// A step's outcome.
    public enum Status: String, Sendable, Equatable {
        /// The check ran and held.
        case pass = "PASS"
        /// The check ran and failed, or its input was unusable.
        case fail = "FAIL"
        /// The check did not apply (erased content, nothing to check) or could not run because
        /// an input it must trust failed its own step; the reason says which.
        case skip = "SKIP"
    }

    /// The steps, in the order they are reported.
    public enum StepName: String, Sendable, Equatable, CaseIterable {
        /// `SHA-256(salt ‖ canonical bytes)` equals the commitment.
        case commitment
        /// The commitment is a leaf under the batch header's root.
        case batchInclusion = "batch-inclusion"
        /// The batch header is signed by the pinned gateway key.
        case batchHeaderSignature = "batch-header-signature"
        /// The batch header hash is a leaf of the log at the checkpoint's size and root.
        case logInclusion = "log-inclusion"
        /// The checkpoint is signed by the pinned log key, with the pinned origin.
        case checkpointSignature = "checkpoint-signature"
        /// Enough pinned witnesses cosigned the checkpoint.
        case cosignatures
        /// External anchors (none are verified by bundle version 1).
        case anchors
    }

    /// One step's outcome.
    public struct Step: Sendable, Equatable {
        /// Which step.
        public let name: StepName
        /// Its outcome.
        public let status: Status
        /// A short explanation.
        public let reason: String

        /// Creates a step outcome.
        public init(name: StepName, status: Status, reason: String) {
            self.name = name
            self.status = status
            self.reason = reason
        }
    }

    /// The steps in ``StepName`` order.
    public let steps: [Step]
    /// Whether the bundle says the reading's content was erased.
    public let erased: Bool
    /// Whether the bundle says the reading's content was pruned by the gateway's retention.
    public let pruned: Bool
    /// The reading id named by the bundle (not authenticated).
    public let readingID: UInt64

    /// Creates a report.
    public init(steps: [Step], erased: Bool, pruned: Bool = false, readingID: UInt64) {
        self.steps = steps
        self.erased = erased
        self.pruned = pruned
        self.readingID = readingID
    }

    /// Whether every step passed or was skipped.
    public var passed: Bool { !steps.contains { $0.status == .fail } }

    /// The first failed step, if any.
    public var firstFailure: Step? { steps.first { $0.status == .fail } }

    /// The outcome of step `name`.
    public func step(_ name: StepName) -> Step? { steps.first { $0.name == name } }

    /// The names of the failed steps, in order.
    public var failedSteps: [StepName] { steps.filter { $0.status == .fail }.map(\.name) }

    /// One line per step (`PASS commitment: …`), then a result line naming the first failure.
    public var text: String {
        let width = StepName.allCases.map(\.rawValue.count).max() ?? 0
        var lines = steps.map { step in
            let padding = String(repeating: " ", count: width - step.name.rawValue.count)
            return "\(step.status.rawValue)  \(step.name.rawValue)\(padding)  \(step.reason)"
        }
        if let failure = firstFailure {
            lines.append("FAIL: reading \(readingID) does not verify; first failed step: \(failure.name.rawValue)")
        } else {
            let removed = erased ? " (content erased)" : pruned ? " (content pruned)" : ""
            lines.append("OK: reading \(readingID) verifies\(removed)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The report as JSON: `{"erased","first_failed_step","pruned","reading_id","result","steps":[{"name","reason","status"}]}`.
    public var jsonValue: JSONValue {
        .object([
            ("result", .string(passed ? "pass" : "fail")),
            ("first_failed_step", firstFailure.map { .string($0.name.rawValue) } ?? .null),
            ("erased", .bool(erased)),
            ("pruned", .bool(pruned)),
            ("reading_id", .number(Double(readingID))),
            ("steps", .array(steps.map { step in
                .object([
                    ("name", .string(step.name.rawValue)),
                    ("status", .string(step.status.rawValue.lowercased())),
                    ("reason", .string(step.reason)),
                ])
            })),
        ])
    }

    /// Canonical JSON bytes of ``jsonValue`` with a final newline.
    public var json: [UInt8] { JSONWriter.canonicalBytes(jsonValue) + [0x0A] }
}
