import EVMLightClient
import Secp256k1
import Telemetry
import Testing

@Suite struct EthereumAddressTests {
    /// Private key -> address pairs.
    /// - 0x4c08…2318 -> 0x2c75…5c23: the key of the web3.js / eth-account documentation examples.
    /// - 0x4646…46 -> 0x9d8A…5A4F: the key of the EIP-155 example transaction.
    /// Both addresses re-checked with Python eth-account 0.14.0 (`Account.from_key(key).address`).
    @Test(arguments: [
        ("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
         "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"),
        ("4646464646464646464646464646464646464646464646464646464646464646",
         "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F"),
    ])
    func addressFromPrivateKey(key: String, address: String) throws {
        let privateKey = try PrivateKey(rawRepresentation: hex(key))
        #expect(privateKey.publicKey.ethereumAddress.checksummed == address)
        #expect(EthereumAddress(publicKey: privateKey.publicKey) == (try EthereumAddress(hex: address)))
    }

    /// The test cases listed in EIP-55 itself (all caps, all lower, normal).
    static let eip55 = [
        "0x52908400098527886E0F7030069857D2E4169EE7", "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
        "0xde709f2102306220921060314715629080e2fb77", "0x27b1fdb04752bbc536007a920d24acb045561c26",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ]

    @Test(arguments: eip55)
    func eip55Checksums(text: String) throws {
        let address = try EthereumAddress(hex: text)
        #expect(address.checksummed == text)
        #expect(address.description == text)
        #expect(try EthereumAddress(hex: text.lowercased()) == address)
        #expect(try EthereumAddress(hex: "0x" + text.dropFirst(2).uppercased()) == address)
        #expect(try EthereumAddress(hex: text.dropFirst(2)) == address)
    }

    @Test func badChecksumIsRejected() throws {
        // Flip the case of one letter in each mixed-case vector.
        for text in Self.eip55[4...] {
            var chars = Array(text)
            let index = try #require(chars.indices.dropFirst(2).first { chars[$0].isLetter })
            chars[index] = chars[index].isUppercase ? Character(chars[index].lowercased())
                                                    : Character(chars[index].uppercased())
            #expect { _ = try EthereumAddress(hex: String(chars)) } throws: {
                ($0 as? LightClientError)?.code == .invalidAddress
            }
        }
    }

    @Test func malformedAddressesAreRejected() {
        for text in ["", "0x", "0x1234", "0x" + String(repeating: "ab", count: 21), "0x" + String(repeating: "zz", count: 20)] {
            #expect { _ = try EthereumAddress(hex: text) } throws: { ($0 as? LightClientError)?.code == .invalidAddress }
        }
        #expect { _ = try EthereumAddress(bytes: [UInt8](repeating: 1, count: 19)) } throws: {
            ($0 as? LightClientError)?.code == .invalidAddress
        }
    }
}
