import Logging
import Threading
import VitalGateCommands

// Freed memory goes back to the kernel instead of staying in the threads' malloc arenas
// (DECISIONS 33). First, before any thread allocates; the environment can override it.
MallocTuning.returnFreedMemoryEarly()
// `--log-format json` is read here, before parsing: the logging system is set up once, first.
LogFormat.named(in: CommandLine.arguments).bootstrap()
VitalGateCommand.mainReportingFailures()
