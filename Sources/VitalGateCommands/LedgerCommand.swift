public import ArgumentParser
import EVMLedger
import Vault

/// `vitalgate ledger deploy`: operator tools for the `evm` ledger.
public struct LedgerCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ledger", abstract: "EVM ledger tools: deploy the anchor contract.",
        subcommands: [Deploy.self])

    public init() {}

    public struct Deploy: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Deploy the anchor contract (Contracts/Anchor) with the gateway's ledger key; prints its address.")

        @OptionGroup var agent: AgentOptions
        @Option(name: .long, help: """
            JSON-RPC endpoint, http(s)://… (default: ledger.endpoint); https:// uses ledger.endpoint_ca_file, \
            endpoint_cert_file and endpoint_key_file.
            """)
        var endpoint: String?
        @Option(name: .long, help: "Chain id (default: ledger.chain_id).") var chainId: UInt64?

        public init() {}

        public func run() throws {
            let config = try agent.resolve()
            let paths = DataPaths(config.gateway.dataDirectory)
            let key = try LedgerKey.derive(from: try FileKeyStore.load(path: paths.keyFile))
            let url = endpoint ?? config.ledger.endpoint
            guard let chain = chainId ?? (config.ledger.chainID > 0 ? UInt64(config.ledger.chainID) : nil), !url.isEmpty else {
                throw ValidationError("give --endpoint and --chain-id (or set ledger.endpoint and ledger.chain_id)")
            }
            let node = try HTTPEndpoint(url: url)
            let transport = node.scheme == .https ? EVMLedgerSettings.transport(config.ledger) : JSONRPCClient.Transport()
            let address = try AnchorContract.deploy(rpc: try JSONRPCClient(endpoint: node, transport: transport), key: key,
                                                    chainID: chain)
            print(address.checksummed)
        }
    }
}
