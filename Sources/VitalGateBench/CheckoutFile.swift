import FoundationEssentials
import Telemetry
import VitalGateCommands

/// Files of the source checkout that some benchmarks use (the test FHIR server, the shipped
/// configuration), found from any working directory: relative to it, or else in the checkout the
/// running executable was built in (`.build/<triple>/<configuration>/vitalgate-bench`).
enum CheckoutFile {
    /// `relative` if it exists from the working directory, else the same path in the first
    /// directory above the executable that has it, else `relative` unchanged.
    static func locate(_ relative: String) -> String {
        if FileManager.default.fileExists(atPath: relative) { return relative }
        var directory = FilePaths.parent(of: AgentProcess.currentExecutable)
        while !directory.isEmpty && directory != "/" {
            let candidate = FilePaths.join(directory, relative)
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            directory = FilePaths.parent(of: directory)
        }
        return relative
    }
}
