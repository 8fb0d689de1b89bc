import Foundation
import LocalBroker
import Testing
import VitalGateTesting

/// A second `vitalgate run` on a data directory that an agent already runs on (a manual start
/// beside the service, an overlapping restart) is refused with the holder's pid; once the
/// first agent is gone, even by SIGKILL, the next one starts.
@Suite struct SecondAgentTests {
    @Test func aSecondAgentOnTheSameVaultIsRefusedAndTheLockDiesWithItsHolder() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let data = dir.appending("data").path
        let broker = try LocalBroker()
        let run = ["run", "--broker", broker.address.description, "--schemas", AgentBinary.schemas,
                   "--data-dir", data, "--gateway", "lock-gw", "--no-detection"]
        #expect(try AgentBinary.run(["keys", "init", "--data-dir", data], log: dir.appending("keys.txt").path).code == 0)
        let first = try AgentBinary.start(run, log: dir.appending("first.txt").path)
        let lockFile = data + "/vault.sqlite.lock"
        for _ in 0..<100 where (try? String(contentsOfFile: lockFile, encoding: .utf8)) != "\(first.pid)\n" {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let second = try AgentBinary.run(run + ["--duration", "2"], log: dir.appending("second.txt").path)
        #expect(second.code == 1)
        #expect(second.output.contains("another vitalgate agent (pid \(first.pid)) is running on this vault"),
                "\(second.output)")
        #expect(first.isRunning)
        first.terminate(signal: SIGKILL)
        let third = try AgentBinary.run(run + ["--duration", "1"], log: dir.appending("third.txt").path)
        #expect(third.code == 0, "\(third.output)")
    }
}
