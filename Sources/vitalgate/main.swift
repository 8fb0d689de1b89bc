import Logging
import VitalGateCommands

LoggingSystem.bootstrap(StreamLogHandler.standardError)
VitalGateCommand.mainReportingFailures()
