@testable import EVMLedger
import EVMLightClient
import Ledger
import Secp256k1
import Telemetry
import Testing

/// The parts of the backend that need no node: fee bumps, tickets, configuration checks.
@Suite struct EVMLedgerBackendUnitTests {
    func configuration(finality: EVMLedgerConfiguration.FinalityPolicy = .confirmations(2)) throws -> EVMLedgerConfiguration {
        EVMLedgerConfiguration(endpoint: try HTTPEndpoint(url: "http://127.0.0.1:1/"), chainID: 1337,
                               contract: try EthereumAddress(hex: "0x5fbdb2315678afecb367f032d93f642f64180aa3"),
                               ledgerKey: PrivateKey(), finality: finality, confirmationTrust: .init(singleNode: true))
    }

    @Test func bumpIsAtLeastTwelveAndAHalfPercentRoundedUp() {
        #expect(EVMLedgerBackend.bump(100, basisPoints: 1250) == 113)
        #expect(EVMLedgerBackend.bump(8, basisPoints: 1250) == 9)
        #expect(EVMLedgerBackend.bump(1, basisPoints: 1250) == 2)
        #expect(EVMLedgerBackend.bump(0, basisPoints: 1250) == 0)
        #expect(EVMLedgerBackend.bump(1_000_000_000, basisPoints: 1250) == 1_125_000_000)
        #expect(EVMLedgerBackend.bump(UInt64.max - 5, basisPoints: 1250) == UInt64.max)
        for value: UInt64 in [3, 7, 99, 12_345, 987_654_321_987] {
            let bumped = EVMLedgerBackend.bump(value, basisPoints: 1250)
            #expect(bumped * 8 >= value * 9, "\(value) -> \(bumped)")
            #expect(bumped * 8 < value * 9 + 8 + 8)
        }
    }

    @Test func replacementFeesBumpBothAndRespectTheCap() throws {
        var config = try configuration()
        config.fees = .init(maximumFeePerGas: 1_000, maximumPriorityFeePerGas: 200, minimumPriorityFeePerGas: 1)
        let backend = try EVMLedgerBackend(configuration: config)
        let request = try sampleRequest()
        let signed = try backend.sign(request, nonce: 3, fees: .init(maxFee: 800, priority: 100))
        let state = EVMTicketState(transaction: signed, maxFeePerGas: 800, maxPriorityFeePerGas: 100, submittedAt: 0,
                                   earlierHashes: [])
        let bumped = try backend.bumped(from: state, atLeast: .init(maxFee: 10, priority: 1))
        #expect(bumped == .init(maxFee: 900, priority: 113))
        // The node now asks for more than a bump: take the node's fees.
        #expect(try backend.bumped(from: state, atLeast: .init(maxFee: 950, priority: 150)) == .init(maxFee: 950, priority: 150))
        let high = EVMTicketState(transaction: signed, maxFeePerGas: 950, maxPriorityFeePerGas: 100, submittedAt: 0,
                                  earlierHashes: [])
        expectLedgerError(.rejected) { () throws(LedgerError) in
            try backend.bumped(from: high, atLeast: .init(maxFee: 10, priority: 1))
        }
    }

    @Test func ticketStateRoundTripsAndIsChecked() throws {
        let backend = try EVMLedgerBackend(configuration: configuration())
        let signed = try backend.sign(try sampleRequest(), nonce: 9, fees: .init(maxFee: 2_000_000_000, priority: 1_000_000))
        let earlier = [[UInt8](repeating: 1, count: 32), [UInt8](repeating: 2, count: 32)]
        let state = EVMTicketState(transaction: signed, maxFeePerGas: 2_000_000_000, maxPriorityFeePerGas: 1_000_000,
                                   submittedAt: 1_700_000_000_123, earlierHashes: earlier)
        let ticket = AnchorTicket(backend: "evm", state: state.encoded(), submittedAt: 1_700_000_000_123)
        let decoded = try EVMTicketState(ticket: ticket)
        #expect(decoded == state)
        #expect(decoded.allHashes == [signed.hash, earlier[1], earlier[0]])
        let text = String(decoding: ticket.state, as: UTF8.self)
        #expect(text.contains("\"nonce\":9"))
        #expect(text.contains("\"txHash\":\"0x"))

        expectLedgerError(.invalidRequest) { () throws(LedgerError) in
            try EVMTicketState(ticket: AnchorTicket(backend: "local", state: ticket.state, submittedAt: 0))
        }
        expectLedgerError(.invalidRequest) { () throws(LedgerError) in
            try EVMTicketState(ticket: AnchorTicket(backend: "evm", state: Array("{}".utf8), submittedAt: 0))
        }
        // A txHash that is not the raw transaction's.
        let forged = text.replacing(Hex.encode(signed.hash, prefix: true), with: "0x" + String(repeating: "ab", count: 32))
        expectLedgerError(.invalidRequest) { () throws(LedgerError) in
            try EVMTicketState(ticket: AnchorTicket(backend: "evm", state: Array(forged.utf8), submittedAt: 0))
        }
    }

    @Test func configurationIsValidated() throws {
        var config = try configuration()
        #expect(throws: Never.self) { try EVMLedgerBackend(configuration: config) }
        config.gasLimit = 21_000
        expectLedgerError(.invalidConfiguration) { () throws(LedgerError) in try config.validate() }
        config = try configuration(finality: .confirmations(0))
        expectLedgerError(.invalidConfiguration) { () throws(LedgerError) in try config.validate() }
        config = try configuration(finality: .qbft(validators: []))
        expectLedgerError(.invalidConfiguration) { () throws(LedgerError) in try config.validate() }
        config = try configuration()
        config.fees.bumpBasisPoints = 500
        expectLedgerError(.invalidConfiguration) { () throws(LedgerError) in try config.validate() }
    }

    /// Confirmations from one node alone are refused unless opted into by name; witnesses must be
    /// other nodes; pinned hashes are 32 bytes. QBFT needs none of it.
    @Test func confirmationsNeedSomethingBesideTheNode() throws {
        var config = try configuration()
        config.confirmationTrust = .init()
        do {
            try config.validate()
            Issue.record("one node's confirmations were accepted")
        } catch {
            #expect(error.code == .invalidConfiguration && error.reason.contains("one node alone"))
        }
        config.confirmationTrust = .init(witnesses: [.init(endpoint: config.endpoint)])
        expectLedgerError(.invalidConfiguration) { () throws(LedgerError) in try config.validate() }
        let other = try HTTPEndpoint(url: "http://127.0.0.2:8545/")
        config.confirmationTrust = .init(witnesses: [.init(endpoint: other), .init(endpoint: other)])
        expectLedgerError(.invalidConfiguration) { () throws(LedgerError) in try config.validate() }
        config.confirmationTrust = .init(witnesses: [.init(endpoint: other, transport: .init(caFile: "/ca.pem"))])
        expectLedgerError(.invalidConfiguration) { () throws(LedgerError) in try config.validate() }
        config.confirmationTrust = .init(witnesses: [.init(endpoint: other)])
        #expect(throws: Never.self) { try config.validate() }
        config.confirmationTrust = .init(pinnedBlocks: [[1, 2, 3]])
        expectLedgerError(.invalidConfiguration) { () throws(LedgerError) in try config.validate() }
        config.confirmationTrust = .init(pinnedBlocks: [[UInt8](repeating: 7, count: 32)])
        #expect(throws: Never.self) { try config.validate() }
        var qbft = try configuration(finality: .qbft(validators: [PrivateKey().publicKey.ethereumAddress]))
        qbft.confirmationTrust = .init()
        #expect(throws: Never.self) { try qbft.validate() }
    }

    @Test func endpointsParse() throws {
        let plain = try HTTPEndpoint(url: "http://127.0.0.1:8545")
        #expect(plain.host == "127.0.0.1" && plain.port == 8545 && plain.path == "/")
        let withPath = try HTTPEndpoint(url: "http://node.internal/rpc/v1")
        #expect(withPath.host == "node.internal" && withPath.port == 8545 && withPath.path == "/rpc/v1")
        let ipv6 = try HTTPEndpoint(url: "http://[::1]:9000/")
        #expect(ipv6.host == "::1" && ipv6.port == 9000)
        #expect(ipv6.description == "http://[::1]:9000/" && ipv6.url == "http://[::1]:9000/")
        #expect(plain.scheme == .http && withPath.scheme == .http)
        let tls = try HTTPEndpoint(url: "HTTPS://node.example:8546/")
        #expect(tls.scheme == .https && tls.host == "node.example" && tls.port == 8546 && tls.url == "https://node.example:8546/")
        // An https URL without a port means 443; a path (often an API key) stays out of the description.
        let hosted = try HTTPEndpoint(url: "https://rpc.example/v3/0123abcd")
        #expect(hosted.port == 443 && hosted.path == "/v3/0123abcd")
        #expect(hosted.url == "https://rpc.example:443/v3/0123abcd")
        #expect(hosted.description == "https://rpc.example:443/…")
        for bad in ["ftp://x", "http://", "https://", "http://host:0/", "http://host:99999/", "http://user@host/",
                    "https://user:secret@host/", "http://host/?q=1", "https://host/?key=secret", "http://[::1/", "node:8545"] {
            do {
                _ = try HTTPEndpoint(url: bad)
                Issue.record("accepted \(bad)")
            } catch {
                #expect(error.code == .invalidConfiguration)
                #expect(!error.reason.contains("secret"), "\(error)")
            }
        }
    }

    @Test func tlsFilesNeedHTTPSAndComeInPairs() throws {
        var config = try configuration()
        config.transport.caFile = "/etc/ca.pem"
        expectLedgerError(.invalidConfiguration) { () throws(LedgerError) in try config.validate() }
        config.endpoint = try HTTPEndpoint(url: "https://127.0.0.1:1/")
        try config.validate()
        config.transport.certificateFile = "/etc/client.pem"
        expectLedgerError(.invalidConfiguration) { () throws(LedgerError) in try config.validate() }
        config.transport.keyFile = "/etc/client.key"
        try config.validate()
        config.transport.requestTimeout = .zero
        expectLedgerError(.invalidConfiguration) { () throws(LedgerError) in try config.validate() }
    }

    @Test func durationsInWholeMilliseconds() {
        #expect(Duration.milliseconds(300).wholeMilliseconds == 300)
        #expect(Duration.seconds(3).wholeMilliseconds == 3000)
        #expect(Duration.microseconds(1999).wholeMilliseconds == 1)
        #expect(Duration.seconds(Int64.max).wholeMilliseconds == Int64.max)
    }

    @Test func nodeMessagesAreSanitised() {
        #expect(JSONRPCClient.sanitise("nonce too low") == "nonce too low")
        #expect(JSONRPCClient.sanitise("a\u{1B}[31mb\nc") == "a?[31mb?c")
        let long = JSONRPCClient.sanitise(String(repeating: "x", count: 10_000))
        #expect(long.count == JSONRPCClient.maximumMessageLength + 1)
    }
}
