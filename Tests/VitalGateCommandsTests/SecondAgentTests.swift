import Foundation
import LocalBroker
import Testing
import VitalGateTesting

/// A second `vitalgate run` on a data directory that an agent already runs on (a manual start
/// beside the service, an overlapping restart) is refused with the holder's pid; once the
/// first agent is gone, even by SIGKILL, the next one starts.
@Suite struct SecondAgentTests {
    @Test func aSecondAgentOnTheSameVaultIsRefusedAndTheLockDiesWithItsHolder() throws {
        let workspace = try AgentWorkspace(log: "keys.txt")
        defer { workspace.remove() }
        let data = workspace.data
        let broker = try LocalBroker()
        let run = ["run", "--broker", broker.address.description, "--schemas", AgentBinary.schemas,
                   "--data-dir", data, "--gateway", "lock-gw", "--no-detection"]
        let first = try AgentBinary.start(run, log: workspace.path("first.txt"))
        let lockFile = data + "/vault.sqlite.lock"
        for _ in 0..<100 where (try? String(contentsOfFile: lockFile, encoding: .utf8)) != "\(first.pid)\n" {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let second = try AgentBinary.run(run + ["--duration", "2"], log: workspace.path("second.txt"))
        #expect(second.code == 75)
        #expect(second.output.contains("another vitalgate agent (pid \(first.pid)) is running on this vault"),
                "\(second.output)")
        #expect(first.isRunning)
        first.terminate(signal: SIGKILL)
        let third = try AgentBinary.run(run + ["--duration", "1"], log: workspace.path("third.txt"))
        #expect(third.code == 0, "\(third.output)")
    }
}
