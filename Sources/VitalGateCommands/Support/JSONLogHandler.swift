public import ArgumentParser
public import Logging
import FoundationEssentials
import Telemetry

/// `--log-format json`: one JSON object per line on standard error, for journald and log
/// shippers (Fluent Bit, Vector, Promtail). The fields are `ts` (UTC, ms), `level`, `logger`,
/// `msg`, then the entry's metadata as strings; a metadata key that would shadow one of those
/// is written as `meta.<key>`. What goes in is what the text format writes: counts and codes,
/// never patient data.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String
    private let stream: FileStream

    public init(label: String, stream: FileStream = .standardError) {
        self.label = label
        self.stream = stream
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        _ = stream.write(Self.line(event, label: label, handlerMetadata: metadata,
                               at: Int64(Date().timeIntervalSince1970 * 1000)))
    }

    /// The line for one entry (exposed for tests).
    static func line(_ event: LogEvent, label: String, handlerMetadata: Logger.Metadata, at ms: Int64) -> String {
        let reserved: Set<String> = ["ts", "level", "logger", "msg"]
        var fields: [(String, JSONValue)] = [
            ("ts", .string(UTCTimestamp.iso8601(milliseconds: ms))), ("level", .string(event.level.rawValue)),
            ("logger", .string(label)), ("msg", .string("\(event.message)")),
        ]
        let merged = handlerMetadata.merging(event.metadata ?? [:]) { _, entry in entry }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            fields.append((reserved.contains(key) ? "meta.\(key)" : key, .string("\(value)")))
        }
        return String(decoding: JSONWriter.orderedBytes(.object(fields)), as: UTF8.self) + "\n"
    }
}

/// How `vitalgate` writes its log: `text` (the default) or `json`.
public enum LogFormat: String, CaseIterable, Sendable, ExpressibleByArgument {
    case text, json

    /// The format `--log-format` names among `arguments` (also `--log-format=json`), else text.
    /// Read before the command line is parsed: the logging system is set up once, first.
    public static func named(in arguments: [String]) -> LogFormat {
        for (index, argument) in arguments.enumerated() {
            if argument == "--log-format", index + 1 < arguments.count { return LogFormat(rawValue: arguments[index + 1]) ?? .text }
            if argument.hasPrefix("--log-format=") { return LogFormat(rawValue: String(argument.dropFirst(13))) ?? .text }
        }
        return .text
    }

    /// Sets up the logging system for this format.
    public func bootstrap() {
        switch self {
        case .text: LoggingSystem.bootstrap(StreamLogHandler.standardError)
        case .json: LoggingSystem.bootstrap { JSONLogHandler(label: $0) }
        }
    }
}
