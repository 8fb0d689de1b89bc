public import ArgumentParser
import Ingest
import Threading

/// Hidden `run` options for benchmarks and tests that play days of a gateway's life in minutes
/// (`vitalgate-bench soak`; docs/TESTING.md "Time-compressed runs"). None changes what the
/// agent does when they are absent, and none is in the configuration file.
public struct BenchHooks: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Run the wall clock this many times faster than the system's (arrival stamps, batch ages and keep_days follow it).",
        visibility: .hidden))
    var clockSpeed: Double?
    @Option(name: .long, help: ArgumentHelp(
        "With --clock-speed: the Unix time (ms) at which the compressed clock reads the same as the system's (default: now).",
        visibility: .hidden))
    var clockOriginMs: Int64?
    @Option(name: .long, help: ArgumentHelp("Readings pruned or evicted at most per retention step (default 250).",
                                            visibility: .hidden))
    var pruneStepLimit: Int?
    @Option(name: .long, help: ArgumentHelp("Free pages returned per retention step (default 64).", visibility: .hidden))
    var vacuumStepPages: Int?

    public init() {}

    public func validate() throws {
        if let clockSpeed, !(clockSpeed.isFinite && clockSpeed >= 1) {
            throw ValidationError("--clock-speed must be a finite number >= 1")
        }
        if clockOriginMs != nil, clockSpeed == nil { throw ValidationError("--clock-origin-ms needs --clock-speed") }
        if let pruneStepLimit, pruneStepLimit < 1 { throw ValidationError("--prune-step-limit must be at least 1") }
        if let vacuumStepPages, vacuumStepPages < 1 { throw ValidationError("--vacuum-step-pages must be at least 1") }
    }

    /// Applies the options given to the ingest configuration.
    func apply(to ingest: inout IngestConfiguration) {
        if let clockSpeed {
            ingest.clock = CompressedClock(originMs: clockOriginMs ?? SystemClock().wallMs(), speed: clockSpeed)
        }
        if let pruneStepLimit { ingest.pruneStepLimit = pruneStepLimit }
        if let vacuumStepPages { ingest.vacuumStepPages = vacuumStepPages }
    }
}
