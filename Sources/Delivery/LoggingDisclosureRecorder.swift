public import Consent
public import Logging

/// A disclosure recorder that only logs how many disclosures and records went (at debug level,
/// never the patient): the agent's until the vault's sealed disclosure log records them
/// (docs/CONSENT.md "Disclosure log").
public struct LoggingDisclosureRecorder: DisclosureRecorder {
    let logger: Logger

    public init(logger: Logger = Logger(label: "vitalgate.disclosures")) {
        self.logger = logger
    }

    public func record(_ disclosures: [Disclosure]) throws {
        logger.debug("disclosed", metadata: [
            "disclosures": "\(disclosures.count)", "records": "\(disclosures.map(\.count).reduce(0, +))",
            "break_glass": "\(disclosures.filter(\.isBreakGlass).count)"])
    }
}
