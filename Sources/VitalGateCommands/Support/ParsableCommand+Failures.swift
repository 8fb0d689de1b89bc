public import ArgumentParser

extension ParsableCommand {
    /// ArgumentParser's `main()`, except that an error thrown by the command's `run()` is printed
    /// as one ``FailureReport`` line and the process exits with its ``ExitStatus``. ArgumentParser's
    /// own errors (parsing, `--help`, `--version`, `help`, `ExitCode`) stay its own, except a
    /// `ValidationError` thrown by `run()`, which is one line too.
    public static func mainReportingFailures(_ arguments: [String]? = nil) -> Never {
        var command: any ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            exit(withError: error)
        }
        do {
            try command.run()
        } catch let error where !(error is ValidationError)
                    && String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
            exit(withError: error)  // its internal CommandError too: `help` throws one to print help
        } catch {
            let report = FailureReport(error)
            report.print()
            exit(withError: ExitCode(report.status.rawValue))
        }
        exit()
    }
}
