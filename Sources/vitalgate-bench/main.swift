import Logging
import VitalGateBench

LoggingSystem.bootstrap(StreamLogHandler.standardError)
BenchCommand.mainReportingFailures()
