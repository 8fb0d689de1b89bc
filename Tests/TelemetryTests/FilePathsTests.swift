import Telemetry
import Testing

@Suite struct FilePathsTests {
    @Test func joinAddsOneSeparator() {
        #expect(FilePaths.join("data", "vault.sqlite") == "data/vault.sqlite")
        #expect(FilePaths.join("/var/lib/vitalgate/", "vault.sqlite") == "/var/lib/vitalgate/vault.sqlite")
        #expect(FilePaths.join("", "vault.sqlite") == "vault.sqlite")
    }

    @Test func parentDropsTheLastComponent() {
        #expect(FilePaths.parent(of: "data/keys/gateway.keys") == "data/keys")
        #expect(FilePaths.parent(of: "/gateway.keys") == "/")
        #expect(FilePaths.parent(of: "gateway.keys") == "")
        #expect(FilePaths.parent(of: "data/keys/") == "data")
        #expect(FilePaths.parent(of: "data//keys") == "data")
    }

    @Test func lastComponentAndStem() {
        #expect(FilePaths.lastComponent(of: "ops/alice.key") == "alice.key")
        #expect(FilePaths.lastComponent(of: "ops/alice/") == "alice")
        #expect(FilePaths.lastComponent(of: "/") == "/")
        #expect(FilePaths.stem(of: "ops/alice.key") == "alice")
        #expect(FilePaths.stem(of: "ops/alice.pub.json") == "alice.pub")
        #expect(FilePaths.stem(of: "ops/.hidden") == ".hidden")
        #expect(FilePaths.stem(of: "noext") == "noext")
    }
}
