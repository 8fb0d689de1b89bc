// swift-tools-version: 6.1
// VitalGate: an edge agent that ingests wearable telemetry over MQTT into an encrypted,
// provable vault. One target per concern; only the thin wrapper targets (MQTT, SQLite,
// Cryptography) import the C libraries.
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

// The agent's binary is linked by lld with packed relative relocations (DT_RELR, glibc 2.36) and
// without exporting its own symbols (the static Swift runtime's link arguments export them all):
// the 47,000 relocations and 12,600 symbols that a process maps and reads at start cost 2 MiB of
// its resident memory (DECISIONS 55, BENCHMARKS "Where the agent's memory goes").
let agentLinking: [LinkerSetting] = [
    .unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker", "--no-export-dynamic"],
                 .when(platforms: [.linux])),
]

let package = Package(
    name: "VitalGate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "vitalgate", targets: ["vitalgate"]),
        .executable(name: "vitalgate-bench", targets: ["vitalgate-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // MARK: C libraries (Debian: libmosquitto-dev, libsqlite3-dev, libssl-dev, libsecp256k1-dev, libcurl4-openssl-dev, libevent-dev)
        .systemLibrary(name: "CMosquitto", pkgConfig: "libmosquitto",
                       providers: [.apt(["libmosquitto-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSecp256k1", pkgConfig: "libsecp256k1", providers: [.apt(["libsecp256k1-dev"])]),
        // libevent's HTTP server (Debian: libevent-dev) for /metrics, health and the status page.
        .systemLibrary(name: "CEvent", pkgConfig: "libevent", providers: [.apt(["libevent-dev"])]),
        // libcurl (Debian: libcurl4-openssl-dev for the headers), loaded at first use, not linked.
        .target(name: "CCurl"),
        // glibc's malloc.h (malloc_trim), which Swift's Glibc module leaves out.
        .systemLibrary(name: "CMalloc"),
        // Buffers libmosquitto's socket reads and writes (defines read, write and close; DECISIONS 22).
        .target(name: "CMosquittoBuffers"),
        // A VFS shim that writes each SQLite WAL frame in one system call (DECISIONS 25).
        .target(name: "CSQLiteWAL", dependencies: ["CSQLite"]),

        // MARK: Wrappers: the only targets that import C
        .target(name: "MQTT", dependencies: ["CMosquitto", "CMosquittoBuffers"], swiftSettings: strict),
        .target(name: "SQLite", dependencies: ["CSQLite", "CSQLiteWAL"], swiftSettings: strict),
        .target(name: "Cryptography", dependencies: ["COpenSSL", "Telemetry", "ErrorSupport"], swiftSettings: strict),
        .target(name: "Secp256k1", dependencies: ["CSecp256k1", "ErrorSupport"], swiftSettings: strict),
        // HTTP(S) on libcurl: TLS, mutual TLS, proxies, kept-alive connections.
        .target(name: "HTTP", dependencies: ["CCurl", "ErrorSupport"], swiftSettings: strict),
        // The agent's HTTP endpoints on libevent's evhttp: one thread, GET and HEAD only.
        .target(name: "HTTPServer", dependencies: ["CEvent", "ErrorSupport", "Threading"], swiftSettings: strict),
        // A private mosquitto for `demo`, benchmarks and tests (spawns the broker binary).
        .target(name: "LocalBroker", dependencies: ["MQTT"], swiftSettings: strict),
        // POSIX threads, locks and conditions (the executable links FoundationEssentials only).
        .target(name: "Threading", dependencies: ["CMalloc"], swiftSettings: strict),

        // MARK: Pure-value core and domain targets
        .target(name: "Telemetry", swiftSettings: strict),
        // The scaffold the modules' error types share: codes, call sites, the common shape.
        .target(name: "ErrorSupport", swiftSettings: strict),
        .target(name: "Schemas", dependencies: ["Telemetry"], swiftSettings: strict),
        .target(name: "Detection", dependencies: ["Telemetry"], swiftSettings: strict),
        .target(name: "EVMLightClient", dependencies: ["Secp256k1", "Telemetry", "ErrorSupport"],
                swiftSettings: strict),
        // The `evm` ledger backend: a verifying JSON-RPC light client that anchors checkpoints on-chain.
        .target(name: "EVMLedger", dependencies: ["Ledger", "EVMLightClient", "Secp256k1", "Telemetry", "Threading", "HTTP",
                                                 "Consent", "Cryptography", .product(name: "Logging", package: "swift-log")],
                swiftSettings: strict),
        // RFC 6962 Merkle trees, C2SP signed notes, checkpoints and cosignatures.
        .target(name: "Transparency", dependencies: ["Cryptography", "Telemetry", "ErrorSupport"],
                swiftSettings: strict),
        // Commitments, signed batch headers, proof bundles and their offline verification.
        .target(name: "Sealing", dependencies: ["Telemetry", "Cryptography", "Transparency", "ErrorSupport"],
                swiftSettings: strict),
        // Signed, versioned fleet configuration documents and the policy that accepts them.
        .target(name: "Fleet", dependencies: ["Telemetry", "Cryptography", "Schemas", "Transparency"], swiftSettings: strict),
        .target(name: "Simulator", dependencies: ["Telemetry", "ErrorSupport"], swiftSettings: strict),
        // Consent shaped after FHIR R4 Consent: records, the deployment's policy, decisions.
        .target(name: "Consent", swiftSettings: strict),
        // Signed consent documents (FHIR R4 Consent bodies) and the pinned authorities that accept them.
        .target(name: "ConsentDocuments", dependencies: ["Consent", "Fleet", "Schemas", "Telemetry", "Cryptography"],
                swiftSettings: strict),
        // The ledger protocol the log's checkpoints are anchored through, and the `local` backend.
        .target(name: "Ledger", dependencies: ["Transparency", "Telemetry", "Cryptography", "ErrorSupport"],
                swiftSettings: strict),

        // MARK: Storage and the pipeline
        .target(name: "Vault",
                dependencies: ["Telemetry", "SQLite", "Cryptography", "Sealing", "Transparency", "Threading",
                               "ErrorSupport", "Consent", .product(name: "Logging", package: "swift-log")],
                swiftSettings: strict),
        .target(name: "Delivery",
                dependencies: ["Vault", "Consent", "Telemetry", "MQTT", "HTTP", "Threading", "ErrorSupport",
                               .product(name: "Logging", package: "swift-log")],
                swiftSettings: strict),
        .target(name: "Ingest",
                dependencies: ["Telemetry", "Schemas", "Vault", "MQTT", "Detection", "Fleet", "Sealing",
                               "Cryptography", "Threading", "Consent", "ConsentDocuments", .product(name: "Logging", package: "swift-log")],
                swiftSettings: strict),

        // Anchoring worker: the log's checkpoints → a ledger backend, off the ingest thread.
        .target(name: "Anchoring",
                dependencies: ["Ledger", "Vault", "Telemetry", "Transparency", "Threading", "MQTT",
                               .product(name: "Logging", package: "swift-log")],
                swiftSettings: strict),

        // What the agent shows of itself over HTTP: metrics, health, the status page.
        .target(name: "Monitoring",
                dependencies: ["HTTPServer", "Ingest", "Delivery", "Anchoring", "Vault", "Telemetry"],
                swiftSettings: strict),

        // MARK: Command line
        .target(name: "VitalGateCommands",
                dependencies: ["Delivery", "HTTP", "HTTPServer", "Monitoring", "Telemetry", "Schemas", "Vault", "Ingest", "MQTT", "Simulator", "Fleet", "Ledger", "Anchoring",
                               "EVMLightClient", "Secp256k1", "EVMLedger",
                               "Detection", "Cryptography", "LocalBroker", "Sealing", "Transparency", "SQLite",
                               "ErrorSupport", "Consent", "ConsentDocuments",
                               .product(name: "ArgumentParser", package: "swift-argument-parser"),
                               .product(name: "Logging", package: "swift-log")],
                swiftSettings: strict),
        .executableTarget(name: "vitalgate", dependencies: ["VitalGateCommands", "Threading", .product(name: "Logging", package: "swift-log")],
                          swiftSettings: strict, linkerSettings: agentLinking),
        // Benchmarks: their own executable, so that none of their code ships in the agent.
        .target(name: "VitalGateBench",
                dependencies: ["VitalGateCommands", "Telemetry", "Schemas", "Vault", "Ingest", "MQTT", "Simulator", "Fleet", "Consent",
                               "Detection", "Cryptography", "LocalBroker", "Sealing", "Transparency", "SQLite", "EVMLightClient",
                               "Delivery", "HTTP", "HTTPServer", "Threading", "Anchoring", "Ledger",
                               .product(name: "ArgumentParser", package: "swift-argument-parser"),
                               .product(name: "Logging", package: "swift-log")],
                swiftSettings: strict),
        .executableTarget(name: "vitalgate-bench", dependencies: ["VitalGateBench", "Threading", .product(name: "Logging", package: "swift-log")],
                          swiftSettings: strict),

        // MARK: Test support and tests
        .target(name: "VitalGateTesting", dependencies: ["MQTT", "LocalBroker", "Ledger", "Transparency", "Cryptography", "Telemetry",
                                                      "Threading", "Ingest", "Vault", "Sealing", "Delivery", "HTTP", "HTTPServer",
                                                      "Consent", "ConsentDocuments", "Fleet"], swiftSettings: strict),
        .testTarget(name: "TelemetryTests", dependencies: ["Telemetry"], swiftSettings: strict),
        .testTarget(name: "ErrorSupportTests",
                    dependencies: ["ErrorSupport", "Cryptography", "EVMLightClient", "Ledger", "MQTT", "SQLite",
                                   "Schemas", "Sealing", "Secp256k1", "Simulator", "Transparency", "Vault",
                                   "VitalGateCommands"],
                    swiftSettings: strict),
        .testTarget(name: "DeliveryTests", dependencies: ["Delivery", "Consent", "Vault", "Telemetry", "VitalGateTesting", "Schemas",
                                                       "Simulator", "Detection", "MQTT", "LocalBroker"],
                    exclude: ["Validator", "Endpoint"], swiftSettings: strict),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "VitalGateTesting", "LocalBroker"], exclude: ["Peer"],
                    swiftSettings: strict),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "HTTP"], swiftSettings: strict),
        .testTarget(name: "MonitoringTests",
                    dependencies: ["Monitoring", "HTTPServer", "Ingest", "Delivery", "Anchoring", "Vault", "Telemetry",
                                   "VitalGateTesting"],
                    swiftSettings: strict),
        .testTarget(name: "ThreadingTests", dependencies: ["Threading", "VitalGateTesting"], swiftSettings: strict),
        .testTarget(name: "SchemasTests", dependencies: ["Schemas", "Telemetry", "VitalGateTesting"],
                    resources: [.copy("Corpus")], swiftSettings: strict),
        .testTarget(name: "CryptographyTests", dependencies: ["Cryptography", "Telemetry"], swiftSettings: strict),
        .testTarget(name: "SQLiteTests", dependencies: ["SQLite"], swiftSettings: strict),
        .testTarget(name: "MQTTTests", dependencies: ["MQTT", "LocalBroker", "VitalGateTesting"], swiftSettings: strict),
        .testTarget(name: "VaultTests", dependencies: ["Vault", "Telemetry", "Cryptography", "SQLite", "Sealing",
                                                    "Transparency", "Ledger", "Anchoring", "Consent"],
                    swiftSettings: strict),
        .testTarget(name: "IngestTests",
                    dependencies: ["Ingest", "Vault", "Schemas", "Telemetry", "MQTT", "LocalBroker", "VitalGateTesting", "Detection", "Sealing",
                                 "Simulator", "Fleet", "Cryptography", "SQLite", "Delivery", "Consent", "ConsentDocuments"],
                    swiftSettings: strict),
        .testTarget(name: "SimulatorTests", dependencies: ["Simulator", "Telemetry", "Schemas"],
                    swiftSettings: strict),
        .testTarget(name: "DetectionTests", dependencies: ["Detection", "Telemetry"], resources: [.copy("Fixtures")],
                    swiftSettings: strict),
        .testTarget(name: "EVMLightClientTests", dependencies: ["EVMLightClient", "VitalGateTesting", "Telemetry"],
                    resources: [.copy("Vectors")], swiftSettings: strict),
        .testTarget(name: "SealingTests", dependencies: ["Sealing", "Telemetry", "Cryptography", "Transparency",
                                                      "VitalGateTesting"],
                    swiftSettings: strict),
        .testTarget(name: "LedgerTests", dependencies: ["Ledger", "Transparency", "Telemetry", "VitalGateTesting"],
                    swiftSettings: strict),
        .testTarget(name: "AnchoringTests", dependencies: ["Anchoring", "Ledger", "Vault", "Sealing", "Telemetry",
                                                        "Transparency", "VitalGateTesting"],
                    swiftSettings: strict),
        .testTarget(name: "ConsentTests", dependencies: ["Consent"], swiftSettings: strict),
        .testTarget(name: "ConsentDocumentsTests",
                    dependencies: ["ConsentDocuments", "Consent", "Fleet", "Telemetry", "Cryptography", "VitalGateTesting"],
                    exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(name: "FleetTests", dependencies: ["Fleet", "Telemetry", "Cryptography", "Transparency"], swiftSettings: strict),
        .testTarget(name: "Secp256k1Tests", dependencies: ["Secp256k1", "EVMLightClient", "Telemetry"], swiftSettings: strict),
        .testTarget(name: "TransparencyTests", dependencies: ["Transparency", "Cryptography", "Telemetry", "VitalGateTesting"],
                    resources: [.copy("Vectors")], swiftSettings: strict),
        .testTarget(name: "VitalGateCommandsTests",
                    dependencies: ["VitalGateCommands", "VitalGateTesting", "Vault", "Telemetry", "MQTT", "LocalBroker", "Sealing",
                                   "SQLite", "HTTP", "HTTPServer", "Fleet", "Schemas", "Cryptography",
                                   "Simulator", "Consent", "ConsentDocuments", .product(name: "Logging", package: "swift-log")],
                    exclude: ["Proxy"], swiftSettings: strict),
        .testTarget(name: "EVMLedgerTests",
                    dependencies: ["EVMLedger", "Ledger", "EVMLightClient", "Secp256k1", "Telemetry", "VitalGateTesting",
                                   "LocalBroker", "MQTT", "HTTP", "Anchoring", "Vault", "Sealing", "Consent", "Cryptography"],
                    exclude: ["Peer"], swiftSettings: strict),
    ]
)

// MARK: Fuzz targets (libFuzzer), declared only when asked for: `scripts/fuzz.sh` sets
// VITALGATE_FUZZ=1 and builds them with `-sanitize=fuzzer,address` in `.build-fuzz`
// (docs/TESTING.md). Each target is one executable over one parser.
if Context.environment["VITALGATE_FUZZ"] != nil {
    let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
        ("FuzzJSON", ["Telemetry"]),
        ("FuzzMessageDecoder", ["Schemas", "Telemetry", "Detection", "Simulator"]),
        ("FuzzFleet", ["Fleet", "Telemetry", "Cryptography"]),
        ("FuzzConsent", ["ConsentDocuments", "Consent", "Fleet", "Telemetry", "Cryptography"]),
        ("FuzzNotes", ["Transparency", "Cryptography"]),
        ("FuzzProofBundle", ["Sealing", "VitalGateCommands"]),
        ("FuzzEVM", ["EVMLightClient"]),
        ("FuzzConfigFile", ["VitalGateCommands"]),
    ]
    package.targets.append(.target(name: "CFuzzer", path: "Fuzz/CFuzzer"))
    package.targets.append(.target(name: "FuzzSupport", dependencies: ["CFuzzer"], path: "Fuzz/FuzzSupport",
                                   swiftSettings: strict))
    for target in fuzzTargets {
        package.targets.append(.executableTarget(name: target.name, dependencies: ["FuzzSupport"] + target.dependencies,
                                                 path: "Fuzz/\(target.name)", swiftSettings: strict))
        package.products.append(.executable(name: target.name, targets: [target.name]))
    }
}
