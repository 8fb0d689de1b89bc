extension AnchorContract {
    /// The creation (init) code, `Contracts/Anchor/anchor.init.hex` (a test checks they match).
    public static let initCode: [UInt8] = []
    /// The runtime code the creation code installs, `Contracts/Anchor/anchor.runtime.hex`.
    public static let runtimeCode: [UInt8] = []
}
