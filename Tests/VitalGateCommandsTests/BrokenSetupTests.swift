import Foundation
import LocalBroker
import Testing
import VitalGateTesting

/// A temporary directory holding one broken setup: a data directory with gateway keys (made by
/// `vitalgate keys init`) and whatever the setup breaks, and the agents it starts beside.
final class SetupWorkspace: @unchecked Sendable {
    // @unchecked: one test case uses it, from its own task.
    let directory: TemporaryDirectory
    /// `data`: the data directory, with its keys.
    let data: String
    /// Agents a setup started (killed by `remove()`).
    var agents: [ChildProcess] = []
    /// Brokers a setup started (stopped by `remove()`).
    var brokers: [LocalBroker] = []

    init() throws {
        directory = try TemporaryDirectory(prefix: "vitalgate-setup")
        chmod(directory.path, 0o755)  // an unprivileged agent must reach the files the setup makes
        data = directory.appending("data").path
        let keys = try AgentBinary.run(["keys", "init", "--data-dir", data], log: directory.appending("keys.txt").path)
        guard keys.code == 0 else { throw AgentWorkspaceError(reason: "keys init failed: \(keys.output)") }
    }

    var keyFile: String { data + "/keys/gateway.keys" }

    func path(_ name: String) -> String { directory.appending(name).path }

    /// Writes `text` to `name` in the workspace; returns its path.
    @discardableResult
    func write(_ text: String, to name: String) throws -> String {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    /// A schema directory holding one file that is not JSON.
    func brokenSchemas() throws -> String {
        try FileManager.default.createDirectory(atPath: path("schemas"), withIntermediateDirectories: true)
        try write("{\"id\": ", to: "schemas/broken.json")
        return path("schemas")
    }

    /// Gives the data directory to the unprivileged user the agent then runs as (when this is root).
    func giveDataToUnprivilegedUser() {
        guard getuid() == 0 else { return }
        for path in [data, data + "/keys", keyFile] { chown(path, 65534, 65534) }
    }

    func remove() {
        for agent in agents { agent.terminate(signal: SIGKILL) }
        for broker in brokers { broker.stop() }
        directory.remove()
    }
}

/// One broken setup: what it breaks, the command that then starts, and what it must say.
struct BrokenSetup: Sendable, CustomTestStringConvertible {
    var name: String
    /// The exit status (docs/OPERATIONS.md).
    var status: Int32
    /// Breaks the workspace; returns the command line.
    var prepare: @Sendable (SetupWorkspace) throws -> [String]
    /// The whole message after `Error: `.
    var message: @Sendable (SetupWorkspace) -> String

    var testDescription: String { name }

    /// `run` on the workspace's data directory, after `arguments`.
    static func run(_ arguments: String...) -> @Sendable (SetupWorkspace) throws -> [String] {
        { workspace in ["run"] + arguments + ["--data-dir", workspace.data, "--duration", "1"] }
    }
}

/// Every startup error is one line naming the file or setting and the fix, with its documented
/// exit status, and no Foundation error dump: the real binary, started from `/`.
@Suite struct BrokenSetupTests {
    static let setups: [BrokenSetup] = [
        BrokenSetup(name: "no key file", status: 66, prepare: { workspace in
            ["run", "--data-dir", workspace.path("empty"), "--duration", "1"]
        }, message: { workspace in
            "no key file at \(workspace.path("empty"))/keys/gateway.keys (create one with `vitalgate keys init` and the "
                + "same --data-dir)"
        }),
        BrokenSetup(name: "key file open to others", status: 77, prepare: { workspace in
            chmod(workspace.keyFile, 0o640)
            return try BrokenSetup.run()(workspace)
        }, message: { "key file \($0.keyFile) is open to group or others (run `chmod 600 \($0.keyFile)`)" }),
        BrokenSetup(name: "key file not JSON", status: 78, prepare: { workspace in
            try "{".write(toFile: workspace.keyFile, atomically: false, encoding: .utf8)
            return try BrokenSetup.run()(workspace)
        }, message: { "key file \($0.keyFile): not valid JSON (restore it from its backup)" }),
        BrokenSetup(name: "--config names no file", status: 66, prepare: { workspace in
            try BrokenSetup.run("--config", workspace.path("missing.conf"))(workspace)
        }, message: { "\($0.path("missing.conf")): no such file" }),
        BrokenSetup(name: "configuration not UTF-8", status: 78, prepare: { workspace in
            try Data([0x23, 0xE9, 0x0A]).write(to: URL(fileURLWithPath: workspace.path("latin1.conf")))
            return try BrokenSetup.run("--config", workspace.path("latin1.conf"))(workspace)
        }, message: { "\($0.path("latin1.conf")): not UTF-8 text" }),
        BrokenSetup(name: "unknown key in the configuration", status: 78, prepare: { workspace in
            try BrokenSetup.run("--config", try workspace.write("[mqtt]\nbrokr = \"mqtt://x\"\n", to: "typo.conf"))(workspace)
        }, message: { "\($0.path("typo.conf")):2: mqtt.brokr: unknown key in [mqtt]" }),
        BrokenSetup(name: "bad broker URL in the configuration", status: 78, prepare: { workspace in
            try BrokenSetup.run("--config", try workspace.write("[mqtt]\nbroker = \"http://x\"\n", to: "url.conf"))(workspace)
        }, message: { "\($0.path("url.conf")):2: mqtt.broker: must be mqtt://host[:port] or mqtts://host[:port]" }),
        BrokenSetup(name: "bad --broker", status: 64, prepare: BrokenSetup.run("--broker", "http://x"),
                    message: { _ in "--broker: must be mqtt://host[:port] or mqtts://host[:port]" }),
        BrokenSetup(name: "password file missing", status: 66, prepare: { workspace in
            let config = try workspace.write("[mqtt]\nusername = \"gw\"\npassword_file = \"/nonexistent/pw\"\n", to: "pw.conf")
            return try BrokenSetup.run("--config", config)(workspace)
        }, message: { _ in "mqtt.password_file: no such file" }),
        BrokenSetup(name: "TLS CA file missing", status: 66, prepare: { workspace in
            let config = try workspace.write("[mqtt.tls]\nca_file = \"/nonexistent/ca.pem\"\n", to: "tls.conf")
            return try BrokenSetup.run("--config", config)(workspace)
        }, message: { _ in "mqtt.tls.ca_file: no such file" }),
        BrokenSetup(name: "bad schema file", status: 78, prepare: { workspace in
            try BrokenSetup.run("--schemas", try workspace.brokenSchemas())(workspace)
        }, message: { "firmware schema \($0.path("schemas/broken.json")): not valid JSON: invalid JSON at byte 7" }),
        BrokenSetup(name: "no schema directory", status: 78, prepare: { workspace in
            try BrokenSetup.run("--schemas", workspace.path("none"))(workspace)
        }, message: { "firmware schema directory \($0.path("none")): no such directory" }),
        BrokenSetup(name: "data directory is a file", status: 73, prepare: { workspace in
            ["run", "--data-dir", try workspace.write("", to: "file"), "--duration", "1"]
        }, message: { "cannot use \($0.path("file")) as the data directory: it exists and is not a directory "
            + "(set --data-dir or [gateway] data_dir)" }),
        BrokenSetup(name: "vault not a database", status: 74, prepare: { workspace in
            try "not a database".write(toFile: workspace.data + "/vault.sqlite", atomically: false, encoding: .utf8)
            return try BrokenSetup.run()(workspace)
        }, message: { "cannot open the vault database \($0.data)/vault.sqlite: file is not a database" }),
        BrokenSetup(name: "lock held by another agent", status: 75, prepare: { workspace in
            // The first agent holds the lock while it retries an unreachable broker.
            let arguments = ["run", "--data-dir", workspace.data, "--broker", "mqtt://127.0.0.1:1", "--no-detection"]
            let first = try AgentBinary.start(arguments, log: workspace.path("first.txt"))
            workspace.agents.append(first)
            for _ in 0..<200 where (try? String(contentsOfFile: workspace.data + "/vault.sqlite.lock", encoding: .utf8))
                != "\(first.pid)\n" {
                Thread.sleep(forTimeInterval: 0.05)
            }
            return arguments + ["--duration", "1"]
        }, message: { workspace in
            "another vitalgate agent (pid \(workspace.agents[0].pid)) is running on this vault (\(workspace.data)"
                + "/vault.sqlite.lock is locked); stop it first, or use another data directory"
        }),
        BrokenSetup(name: "HTTP port in use", status: 75, prepare: { workspace in
            let other = try LocalBroker()  // something else listens on the port
            workspace.brokers.append(other)
            return try BrokenSetup.run("--http", "127.0.0.1:\(other.address.port)")(workspace)
        }, message: { workspace in
            "cannot listen on 127.0.0.1:\(workspace.brokers[0].address.port): another process listens there (choose another "
                + "address with [http] listen or --http, or turn it off with --http off)"
        }),
        BrokenSetup(name: "HTTP off loopback without a password", status: 78, prepare: BrokenSetup.run("--http", "0.0.0.0:0"),
                    message: { _ in "http.password_file: must name a password file when http.listen is not a loopback "
                        + "address (the status page shows beds and alerts)" }),
        BrokenSetup(name: "bad --http", status: 64, prepare: BrokenSetup.run("--http", "nonsense"),
                    message: { _ in "--http: must be HOST:PORT, [IPV6]:PORT, or off" }),
        BrokenSetup(name: "HTTP password file missing", status: 66, prepare: { workspace in
            let config = try workspace.write("[http]\nlisten = \"0.0.0.0:0\"\npassword_file = \"/nonexistent/pw\"\n", to: "http.conf")
            return try BrokenSetup.run("--config", config, "--http", "0.0.0.0:0")(workspace)
        }, message: { _ in "http.password_file: no such file" }),
        BrokenSetup(name: "detect: no schema directory", status: 78, prepare: { workspace in
            ["detect", "--replay", try workspace.write("", to: "replay.jsonl"), "--alerts", workspace.path("alerts.jsonl"),
             "--schemas", workspace.path("none")]
        }, message: { "firmware schema directory \($0.path("none")): no such directory" }),
        BrokenSetup(name: "detect: replay file missing", status: 66, prepare: { workspace in
            ["detect", "--replay", workspace.path("none.jsonl"), "--alerts", workspace.path("alerts.jsonl")]
        }, message: { _ in "--replay: no such file" }),
        BrokenSetup(name: "demo: bad schema file", status: 78, prepare: { workspace in
            ["demo", "--duration", "1", "--data-dir", workspace.path("demo"), "--schemas", try workspace.brokenSchemas()]
        }, message: { workspace in
            "the agent did not start: firmware schema \(workspace.path("schemas/broken.json")): not valid JSON: invalid "
                + "JSON at byte 7 (its log: \(workspace.path("demo"))/agent.log)"
        }),
    ]

    /// Setups about permissions: the agent runs as user 65534 when the tests run as root.
    static let permissionSetups: [BrokenSetup] = [
        BrokenSetup(name: "configuration not readable", status: 77, prepare: { workspace in
            let config = try workspace.write("[gateway]\n", to: "locked.conf")
            chmod(config, 0o000)
            return try BrokenSetup.run("--config", config)(workspace)
        }, message: { "\($0.path("locked.conf")): permission denied (make it readable by the user the agent runs as)" }),
        BrokenSetup(name: "key file not readable by the agent's user", status: 77, prepare: { workspace in
            chmod(workspace.data + "/keys", 0o000)
            return try BrokenSetup.run()(workspace)
        }, message: { "cannot read the key file \($0.keyFile): Permission denied (run the agent as the user that owns "
            + "the data directory)" }),
        BrokenSetup(name: "data directory not writable", status: 77, prepare: { workspace in
            workspace.giveDataToUnprivilegedUser()
            chmod(workspace.data, 0o500)
            return try BrokenSetup.run()(workspace)
        }, message: { "cannot write in the data directory \($0.data): Permission denied (run the agent as the "
            + "directory's owner, or chown it)" }),
    ]

    @Test(arguments: setups)
    func startsFromRootAndFailsWithOneLine(_ setup: BrokenSetup) throws {
        try check(setup, unprivileged: false)
    }

    @Test(.enabled(if: AgentBinary.canRunUnprivileged, "needs setpriv and a binary user 65534 can run"),
          arguments: permissionSetups)
    func startsUnprivilegedFromRootAndFailsWithOneLine(_ setup: BrokenSetup) throws {
        try check(setup, unprivileged: true)
    }

    /// Help, `help COMMAND` (which throws to print) and parsing errors stay ArgumentParser's.
    @Test func helpAndCommandLineErrorsAreArgumentParsers() throws {
        let dir = try TemporaryDirectory(prefix: "vitalgate-help")
        defer { dir.remove() }
        let help = try AgentBinary.runFromRoot(["--help"], log: dir.appending("help.txt").path)
        #expect(help.code == 0 && help.output.contains("EXIT STATUS:\n  0   success\n") && help.output.contains("USAGE: vitalgate"))
        let runHelp = try AgentBinary.runFromRoot(["help", "run"], log: dir.appending("run.txt").path)
        #expect(runHelp.code == 0 && runHelp.output.contains("USAGE: vitalgate run"), "\(runHelp.output)")
        let unknown = try AgentBinary.runFromRoot(["nosuch"], log: dir.appending("unknown.txt").path)
        #expect(unknown.code == 64 && unknown.output.hasPrefix("Error: Unexpected argument 'nosuch'\nUsage: vitalgate"))
    }

    private func check(_ setup: BrokenSetup, unprivileged: Bool) throws {
        let workspace = try SetupWorkspace()
        defer { workspace.remove() }
        let arguments = try setup.prepare(workspace)
        let result = try AgentBinary.runFromRoot(arguments, log: workspace.path("output.txt"), unprivileged: unprivileged)
        #expect(result.code == setup.status, "\(result.output)")
        let errors = result.output.split(separator: "\n").filter { $0.hasPrefix("Error:") }.map(String.init)
        #expect(errors == ["Error: " + setup.message(workspace)], "\(result.output)")
        #expect(result.output.hasSuffix("Error: " + setup.message(workspace) + "\n"), "the error is the last line")
        for dump in ["CocoaError", "Error Domain=", "NSCocoaErrorDomain", "FoundationEssentials", "userInfo"] {
            #expect(!result.output.contains(dump), "\(result.output)")
        }
    }
}
