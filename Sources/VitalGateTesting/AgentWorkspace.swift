import Foundation
public import LocalBroker
public import MQTT

/// A fresh temporary directory holding an agent's data directory with gateway keys (made by
/// `vitalgate keys init`), for tests that run the `vitalgate` binary.
public struct AgentWorkspace: Sendable {
    public let directory: TemporaryDirectory
    /// The agent's data directory (`data`): the gateway keys, later the vault.
    public let data: String
    /// The file the commands' output goes to unless a test names another.
    public let log: String

    /// Makes the directory and the gateway keys; throws when `keys init` fails.
    public init(log logName: String = "log.txt") throws {
        directory = try TemporaryDirectory()
        data = directory.appending("data").path
        log = directory.appending(logName).path
        let keys = try AgentBinary.run(["keys", "init", "--data-dir", data], log: log)
        guard keys.code == 0 else { throw AgentWorkspaceError(reason: "keys init failed: \(keys.output)") }
    }

    /// The path of `name` in the workspace.
    public func path(_ name: String) -> String { directory.appending(name).path }

    public func remove() { directory.remove() }

    /// Starts `vitalgate run arguments --broker <broker>` (output to `log`, by default the
    /// workspace's), gives it half a second to subscribe, and publishes the paired OxiPatch
    /// readings `seqs` (`SampleTelemetry.oxiPatch`) from a bridge client, returned for more.
    public func startAgent(_ arguments: [String], broker: LocalBroker, publishing seqs: Range<Int>,
                           log: String? = nil) throws -> (agent: ChildProcess, bridge: MQTTClient) {
        let agent = try AgentBinary.start(["run"] + arguments + ["--broker", broker.address.description], log: log ?? self.log)
        let bridge = try MQTTTestClient.connect(broker.address, id: "bridge-\(UInt32.random(in: 0 ... .max))")
        Thread.sleep(forTimeInterval: 0.5)
        try MQTTTestClient.publishAll(bridge, SampleTelemetry.oxiPatch(seqs))
        return (agent, bridge)
    }
}

public struct AgentWorkspaceError: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public init(reason: String) { self.reason = reason }
    public var description: String { reason }
}
