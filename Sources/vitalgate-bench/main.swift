import Logging
import Threading
import VitalGateBench

// The agent's allocator setting (Sources/vitalgate/main.swift), so that what a benchmark runs
// in process (e.g. `delivery`'s FHIR worker) allocates as it does in the agent.
MallocTuning.returnFreedMemoryEarly()
LoggingSystem.bootstrap(StreamLogHandler.standardError)
BenchCommand.mainReportingFailures()
