@testable import Ingest
import Testing
import Vault

/// The byte budget's lines on their own (`StorageBudget`): the content decides when the vault is
/// full, the disk (file and WAL) when the next batch waits for a checkpoint.
@Suite struct StorageBudgetRuleTests {
    static let mib: Int64 = 1 << 20
    let budget = StorageBudget(cap: 256 << 20)

    @Test func theLinesOfA256MiBBudget() {
        #expect(budget.fullAt == 240 << 20)  // less max(5 %, 16 MiB): 16 MiB
        #expect(budget.nearingAt == (240 << 20) - (256 << 20) / 10)
        #expect(budget.diskLimit == 252 << 20)  // less 4 MiB for what is in flight
        let small = StorageBudget(cap: 32 << 20)
        #expect(small.fullAt == 16 << 20 && small.diskLimit == 30 << 20)  // 1/16 of the budget in flight
        #expect(StorageBudget(cap: 1000).fullAt == 0)  // smaller than the headroom: always full
    }

    @Test func contentOverItsLineIsPrunedBeforeTheNextBatch() {
        #expect(budget.verdict(VaultSpace(fileBytes: 200 * Self.mib)) == .admit)
        #expect(budget.verdict(VaultSpace(fileBytes: 241 * Self.mib)) == .prune)
        // Free pages are not content: a file of 250 MiB with 20 free is under its line.
        #expect(budget.verdict(VaultSpace(fileBytes: 250 * Self.mib, freeBytes: 20 * Self.mib)) == .admit)
        #expect(budget.isNearing(VaultSpace(fileBytes: 220 * Self.mib)))
        #expect(!budget.isNearing(VaultSpace(fileBytes: 200 * Self.mib)))
    }

    @Test func aWALThatTakesTheDiskOverItsLineIsCheckpointedFirst() {
        #expect(budget.verdict(VaultSpace(fileBytes: 238 * Self.mib, walBytes: 12 * Self.mib)) == .admit)
        #expect(budget.verdict(VaultSpace(fileBytes: 238 * Self.mib, walBytes: 16 * Self.mib)) == .awaitCheckpoint)
        // The file alone over the disk's line (free pages the vacuum has yet to return): a
        // checkpoint would not help, and storing reuses those pages first.
        #expect(budget.verdict(VaultSpace(fileBytes: 253 * Self.mib, freeBytes: 30 * Self.mib, walBytes: 1)) == .admit)
        // Both over: the WAL first, since the retention step would write into it too.
        #expect(budget.verdict(VaultSpace(fileBytes: 245 * Self.mib, walBytes: 10 * Self.mib)) == .awaitCheckpoint)
        #expect(budget.verdict(VaultSpace(fileBytes: 245 * Self.mib, walBytes: 2 * Self.mib)) == .prune)
    }

    @Test func noBudgetAdmitsEverything() {
        let none = StorageBudget(cap: 0)
        #expect(none.verdict(VaultSpace(fileBytes: 1 << 40, walBytes: 1 << 30)) == .admit)
        #expect(!none.isFull(VaultSpace(fileBytes: 1 << 40)) && !none.keepsBlocking(VaultSpace(fileBytes: 1 << 40)))
    }

    @Test func aBlockLastsUntilThereIsRoomForMoreThanABatchOrTwo() {
        #expect(budget.keepsBlocking(VaultSpace(fileBytes: 241 * Self.mib)))
        #expect(budget.keepsBlocking(VaultSpace(fileBytes: 237 * Self.mib)))  // under the line, by less than 4 MiB
        #expect(!budget.keepsBlocking(VaultSpace(fileBytes: 235 * Self.mib)))
    }
}
