public import ArgumentParser
import FoundationEssentials
import MQTT

/// Command-line options shared by the commands that run the agent, for `@OptionGroup`:
/// a configuration file plus overrides of its most-used settings.
///
/// ```swift
/// struct RunCommand: ParsableCommand {
///     @OptionGroup var agent: AgentOptions
///     func run() throws { let config = try agent.resolve() ... }
/// }
/// ```
public struct AgentOptions: ParsableArguments {
    /// Where `resolve()` looks when `--config` is not given, in order: a source checkout's file
    /// (relative to the working directory), then the installed one.
    public static let defaultConfigPaths = ["Config/vitalgate.conf", "/etc/vitalgate/vitalgate.conf"]

    /// `--config PATH`: the configuration file to read.
    @Option(name: .long, help: ArgumentHelp(
        "Configuration file (default: ./Config/vitalgate.conf if it exists, else /etc/vitalgate/vitalgate.conf if it "
            + "exists, else the built-in defaults).", valueName: "path"))
    public var config: String?

    /// `--broker URL`: overrides `mqtt.broker`.
    @Option(name: .long, help: ArgumentHelp(
        "Broker URL, mqtt://host[:port] or mqtts://host[:port] (overrides mqtt.broker).", valueName: "url"))
    public var broker: String?

    /// `--data-dir DIR`: overrides `gateway.data_dir`.
    @Option(name: .customLong("data-dir"), help: ArgumentHelp("Data directory (overrides gateway.data_dir).",
                                                               valueName: "dir"))
    public var dataDirectory: String?

    /// `--gateway ID`: overrides `gateway.id`.
    @Option(name: .long, help: ArgumentHelp("Gateway id (overrides gateway.id).", valueName: "id"))
    public var gateway: String?

    /// `--protocol 5|3.1.1`: overrides `mqtt.protocol`.
    @Option(name: .customLong("protocol"), help: ArgumentHelp("MQTT protocol version (overrides mqtt.protocol).",
                                                              valueName: "5|3.1.1"))
    public var protocolVersion: String?

    /// `--schemas DIR`: overrides `schemas.directory`.
    @Option(name: .long, help: ArgumentHelp(
        "Directory of firmware schemas that extend the built-in ones; a file with a built-in schema's id replaces "
            + "it (overrides schemas.directory).", valueName: "dir"))
    public var schemas: String?

    /// `--ndjson DIR`: overrides `egress.ndjson` (deliver FHIR R4 NDJSON files there).
    @Option(name: .long, help: ArgumentHelp("Deliver readings and alerts as FHIR R4 NDJSON files into this directory "
                                            + "(overrides egress.ndjson).", valueName: "dir"))
    public var ndjson: String?

    /// `--upstream URL`: overrides `egress.upstream` (deliver to an upstream MQTT broker).
    @Option(name: .long, help: ArgumentHelp("Deliver readings and alerts to this upstream broker, mqtt://host[:port] or "
                                            + "mqtts://host[:port] (overrides egress.upstream).", valueName: "url"))
    public var upstream: String?

    /// `--fhir URL`: overrides `egress.fhir` (deliver to a FHIR R4 server).
    @Option(name: .long, help: ArgumentHelp("Deliver readings and alerts to this FHIR R4 server's base URL, "
                                            + "http(s)://… (overrides egress.fhir).", valueName: "url"))
    public var fhir: String?

    /// `--http HOST:PORT|off`: overrides `http.listen` (metrics, health and the status page).
    @Option(name: .long, help: ArgumentHelp("Serve /metrics, /healthz, /readyz and the status page here, or `off` "
                                            + "(overrides http.listen).", valueName: "host:port|off"))
    public var http: String?

    /// `--log-format text|json` (read by `main` before parsing; declared here so that it parses).
    @Option(name: .customLong("log-format"), help: ArgumentHelp("Log as text lines or as one JSON object per line.",
                                                                valueName: "text|json"))
    public var logFormat: LogFormat = .text

    /// No overrides (ArgumentParser fills in the options).
    public init() {}

    /// The configuration file `resolve()` reads: `--config`, else the first of `candidates` that
    /// `exists` (by default: is on disk), else none (the built-in defaults).
    public func configPath(candidates: [String] = defaultConfigPaths, exists: ((String) -> Bool)? = nil) -> String? {
        config ?? candidates.first(where: exists ?? { FileManager.default.fileExists(atPath: $0) })
    }

    /// The configuration: the file `configPath()` names, or the built-in defaults, with the
    /// command-line overrides applied on top, validated.
    public func resolve() throws(ConfigError) -> AgentConfig {
        var result = try configPath().map { path throws(ConfigError) in try AgentConfig.load(path: path) } ?? AgentConfig()
        if let broker { result.mqtt.broker = broker }
        if let dataDirectory { result.gateway.dataDirectory = dataDirectory }
        if let gateway { result.gateway.id = gateway }
        if let schemas { result.schemas.directory = schemas }
        if let ndjson { result.egress.ndjson = ndjson }
        if let upstream { result.egress.upstream = upstream }
        if let fhir { result.egress.fhir = fhir }
        if let http { result.http.listen = http }
        if let protocolVersion {
            guard let version = MQTTOptions.ProtocolVersion(rawValue: protocolVersion) else {
                throw ConfigError(.invalidSetting, key: "--protocol", "must be 5 or 3.1.1")
            }
            result.mqtt.protocolVersion = version
        }
        do {
            try result.validate()
        } catch {
            throw error.commandLine(overriding: self)
        }
        return result
    }
}

extension ConfigError {
    /// Names the command-line option when the invalid setting came from one.
    fileprivate func commandLine(overriding options: AgentOptions) -> ConfigError {
        let overrides: [(key: String, flag: String, given: Bool)] = [
            ("mqtt.broker", "--broker", options.broker != nil),
            ("gateway.data_dir", "--data-dir", options.dataDirectory != nil),
            ("gateway.id", "--gateway", options.gateway != nil),
            ("schemas.directory", "--schemas", options.schemas != nil),
            ("egress.ndjson", "--ndjson", options.ndjson != nil),
            ("egress.upstream", "--upstream", options.upstream != nil),
            ("egress.fhir", "--fhir", options.fhir != nil),
            ("http.listen", "--http", options.http != nil),
        ]
        guard let override = overrides.first(where: { $0.key == key && $0.given }) else { return self }
        var copy = self
        copy.key = override.flag
        copy.path = nil
        copy.line = nil
        return copy
    }
}
