import EVMLightClient
import Telemetry

extension ConsentRegistry {
    /// The creation code, `Contracts/ConsentRegistry/registry.init.hex` (153 bytes: a 25-byte
    /// constructor that rejects value, stores the deployer as the authority in slot 0 and returns
    /// the runtime). A test checks it equals the file.
    public static let initCode: [UInt8] = decode(
        "3415600957600080fd5b3360005560808060196000396000f33660801434151633600054141660603560ff1660019003" +
        "60021116602257600080fd5b606060006000376040600020805460010180915560606000209060c01b60603560401b60" +
        "401c178091556000526040356020356000357f793947e1576c008ffcef53927b42f014dd607d054dbbf2f4236a999fbd" +
        "fe682460206000a400")

    /// The runtime code (128 bytes), `Contracts/ConsentRegistry/registry.runtime.hex`. The reader
    /// requires the proven account's code hash to be `keccak256` of it.
    public static let runtimeCode: [UInt8] = decode(
        "3660801434151633600054141660603560ff166001900360021116602257600080fd5b60606000600037604060002080" +
        "5460010180915560606000209060c01b60603560401b60401c178091556000526040356020356000357f793947e1576c" +
        "008ffcef53927b42f014dd607d054dbbf2f4236a999fbdfe682460206000a400")

    /// `keccak256(runtimeCode)`: the code hash of every deployed registry.
    public static let runtimeCodeHash: [UInt8] = Keccak256.hash(runtimeCode)

    private static func decode(_ text: String) -> [UInt8] {
        // The constants above are valid hex; a typo would be caught by the tests.
        Hex.decode(text) ?? []
    }
}
