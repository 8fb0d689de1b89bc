public import EVMLightClient
public import Ledger
public import Secp256k1

extension ConsentRegistry {
    /// Deploys the registry with `key`, whose address becomes the authority (storage slot 0),
    /// and returns the registry's address, with the checks of ``AnchorContract/deploy(rpc:key:chainID:gasLimit:fees:timeout:initCode:runtimeCode:)``
    /// (chain id, address from sender and nonce, `eth_getCode` equal to ``runtimeCode``).
    /// A setup helper for the authority and for tests; gateways only read the registry.
    public static func deploy(rpc: JSONRPCClient, key: PrivateKey, chainID: UInt64,
                              fees: EVMLedgerConfiguration.FeePolicy = .init(),
                              timeout: Duration = .seconds(60)) throws(LedgerError) -> EthereumAddress {
        try AnchorContract.deploy(rpc: rpc, key: key, chainID: chainID, gasLimit: 300_000, fees: fees, timeout: timeout,
                                  initCode: initCode, runtimeCode: runtimeCode)
    }
}
