import Fleet
import Testing

@Suite struct KeyRotationTests {
    /// Replace bob with carol; detection still needs two operators.
    static let rotation = Fixtures.document(version: 6, sections: .init(operators: .init(policy: TrustPolicy(
        keys: [Fixtures.alice.operatorKey, Fixtures.carol.operatorKey], thresholds: [.detection: 2]))))

    @Test func rotationSignedUnderCurrentPolicyIsAccepted() throws {
        #expect(Fixtures.policy.threshold(for: .operators) == 2)
        let bytes = try ConfigSigner.sign(Self.rotation, with: [Fixtures.alice, Fixtures.bob])
        let accepted = try Fixtures.evaluate(bytes).get()
        let rotated = try #require(accepted.rotatedPolicy)
        #expect(rotated.keys.map(\.keyID) == [Fixtures.alice.keyID, Fixtures.carol.keyID])
        #expect(rotated.threshold(for: .detection) == 2)

        // Under the rotated policy carol signs, bob is no longer trusted.
        let next = Fixtures.document(version: 7)
        let byCarol = try ConfigSigner.sign(next, with: [Fixtures.carol])
        #expect(throws: Never.self) { try Fixtures.evaluate(byCarol, policy: rotated, applied: 6).get() }
        let byBob = try ConfigSigner.sign(next, with: [Fixtures.bob])
        #expect(Fixtures.evaluate(byBob, policy: rotated, applied: 6).rejection == .unknownKey(keyID: Fixtures.bob.keyID))
    }

    @Test func rotationSignedOnlyByNewKeyIsRejected() throws {
        let bytes = try ConfigSigner.sign(Self.rotation, with: [Fixtures.carol])
        #expect(Fixtures.evaluate(bytes).rejection == .unknownKey(keyID: Fixtures.carol.keyID))
    }

    @Test func rotationWithOneCurrentSignatureIsRejected() throws {
        let bytes = try ConfigSigner.sign(Self.rotation, with: [Fixtures.alice])
        #expect(Fixtures.evaluate(bytes).rejection == .insufficientSignatures(section: "operators", have: 1, need: 2))
    }

    @Test func rotationThresholdAboveKeyCountIsUnsafe() throws {
        let document = Fixtures.document(sections: .init(operators: .init(policy: TrustPolicy(
            keys: [Fixtures.carol.operatorKey], thresholds: [.detection: 2]))))
        let bytes = try ConfigSigner.sign(document, with: [Fixtures.alice, Fixtures.bob])
        #expect(Fixtures.evaluate(bytes).rejection == .outOfSafeRange(field: "operators.thresholds.detection"))
    }

    @Test func singleKeyPolicyNeedsOneSignatureForRotation() {
        #expect(TrustPolicy(keys: [Fixtures.alice.operatorKey]).threshold(for: .operators) == 1)
        #expect(TrustPolicy(keys: [Fixtures.alice.operatorKey]).threshold(for: .ingest) == 1)
    }
}

@Suite struct FleetStateTests {
    @Test func aRolledBackVersionIsSpentAndSurvivesEncoding() throws {
        let accepted = try Fixtures.evaluate(try ConfigSigner.sign(Fixtures.document(version: 5), with: [Fixtures.alice])).get()
        var state = FleetState().applying(accepted, at: 1)
        #expect(state.appliedVersion(for: .gateway(Fixtures.gateway)) == 5)
        state = state.rollingBack(version: 7, for: .gateway(Fixtures.gateway))
        #expect(state.appliedVersion(for: .gateway(Fixtures.gateway)) == 7)
        #expect(state.appliedVersion(for: .group("ward-3")) == nil)
        let decoded = try FleetState(encoded: state.encoded)
        #expect(decoded == state && decoded.rolledBack == ["gateway:\(Fixtures.gateway)": 7])
    }
}
