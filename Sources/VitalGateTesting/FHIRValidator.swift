import Foundation

/// The third-party FHIR R4 validator of the delivery tests: `fhir.resources` (FHIR 4.0.1) in a
/// Python virtual environment, plus the R4 Vital Signs rules the agent promises
/// (`Tests/DeliveryTests/Validator/validate_fhir.py`).
public enum FHIRValidator {
    static let directory = AgentBinary.repositoryRoot.appendingPathComponent("Tests/DeliveryTests/Validator")

    /// The validator's interpreter: `VITALGATE_FHIR_VALIDATOR_PYTHON` (set by `scripts/test.sh`),
    /// or the virtual environment `Validator/setup.sh` makes (pip, from PyPI).
    public static func python() throws -> String {
        if let python = ProcessInfo.processInfo.environment["VITALGATE_FHIR_VALIDATOR_PYTHON"], !python.isEmpty {
            return python
        }
        let (status, output) = try run(directory.appendingPathComponent("setup.sh").path, [])
        guard status == 0 else { throw FHIRValidatorError(reason: "setup.sh failed: \(output)") }
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Validates the NDJSON files of the directories (or the Bundle files) in `paths`. Returns
    /// whether everything passed, and the report: `resources` (count by type), `identifiers`
    /// (count by `system|value`), `errors`, `observations` (LOINC codes, value, absent, subject).
    public static func validate(_ paths: [String]) throws -> (passed: Bool, report: [String: Any]) {
        let script = directory.appendingPathComponent("validate_fhir.py").path
        let (status, output) = try run(try python(), [script] + paths)
        guard let data = output.data(using: .utf8),
              let report = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw FHIRValidatorError(reason: "no report: \(output.prefix(2000))")
        }
        return (status == 0, report)
    }

    private static func run(_ executable: String, _ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// The validator could not run.
public struct FHIRValidatorError: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}
