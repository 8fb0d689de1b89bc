import EVMLightClient
import Telemetry

extension AnchorContract {
    /// The creation code, `Contracts/Anchor/anchor.init.hex` (86 bytes: a 21-byte constructor
    /// that rejects value and returns the runtime). A test checks it equals the file.
    public static let initCode: [UInt8] = decode(
        "3415600957600080fd5b60418060156000396000f336606014341516600e57600080fd5b60406020600037600035337f" +
        "964499b5aa997d8953c200d0ba94ded7cdcd167fe3e62819f065a1fdf121713660406000a300")

    /// The runtime code the creation code installs, `Contracts/Anchor/anchor.runtime.hex`
    /// (65 bytes); `deploy` checks `eth_getCode` against it.
    public static let runtimeCode: [UInt8] = decode(
        "36606014341516600e57600080fd5b60406020600037600035337f964499b5aa997d8953c200d0ba94ded7cdcd167fe3" +
        "e62819f065a1fdf121713660406000a300")

    private static func decode(_ text: String) -> [UInt8] {
        // The constants above are valid hex; a typo would be caught by the tests.
        Hex.decode(text) ?? []
    }
}
