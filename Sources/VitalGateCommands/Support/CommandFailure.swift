/// A failure a command reports in its own words, with the exit status it chose.
public struct CommandFailure: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var status: ExitStatus

    public init(_ message: String, status: ExitStatus = .failure) {
        self.message = message
        self.status = status
    }

    public var description: String { message }
}
