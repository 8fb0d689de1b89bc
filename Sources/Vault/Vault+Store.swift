import Cryptography
import Sealing
import SQLite
public import Telemetry

extension Vault {
    /// Stores a batch in one transaction: readings (deduplicated, conflicts flagged),
    /// quarantined messages with their reason, device events, and alerts. Either the whole
    /// batch is committed or nothing is. While syncing is deferred (``deferSync()``), the
    /// commit is not synced and the readings are sealed by ``syncDeferred()``.
    public func store(_ messages: [IncomingMessage], alerts: [AlertRecord] = []) throws(VaultError) -> StoreResult {
        let patientsBefore = (patientsByIdentifier, patientsByRef)
        let ids = (nextReadingID, nextQuarantineID, nextAlertID)
        let receivedAt = messages.last?.receivedAt ?? 0
        let result: StoreResult
        var inserted = SealingLog.Pending()
        do {
            result = try write {
                let (result, sealable) = try storeRows(messages, alerts: alerts)
                inserted = try sealingLog.recordsInserted(sealable, at: receivedAt)
                return result
            }
        } catch {
            // Roll back the in-memory mirrors with the transaction.
            (patientsByIdentifier, patientsByRef) = patientsBefore
            (nextReadingID, nextQuarantineID, nextAlertID) = ids
            throw error
        }
        sealingLog.committed(inserted)  // the log follows the database
        return result
    }

    /// The rows of one batch, inside the caller's transaction. Returns what was stored and how
    /// many sealed records it added (readings, alerts, and rows other writers inserted).
    private func storeRows(_ messages: [IncomingMessage], alerts: [AlertRecord]) throws
        -> (result: StoreResult, sealable: Int) {
        var result = StoreResult()
        let foreign = try syncReadingIDs()
        for message in messages {
            switch message.outcome {
            case .reading(let reading, let patient):
                try storeReading(reading, patient: patient, into: &result)
            case .control(let device, let control):
                try applyControl(control, device: device.rawValue, at: message.receivedAt, into: &result)
            case .quarantined(let device, let kind, let verdict):
                try storeQuarantined(message, device: device?.rawValue, kind: kind?.rawValue, verdict: verdict)
                result.quarantined += 1
            }
        }
        for alert in alerts { try storeAlert(alert) }
        result.alerts = alerts.count
        try bumpCounters(["duplicates": result.duplicates, "messages": messages.count])
        // Each alert added a sealed record too: the batch counts it like a reading.
        return (result, foreign + result.stored + alerts.count)
    }

    private func storeReading(_ reading: Reading, patient: String?, into result: inout StoreResult) throws {
        // Arrival time is not part of the canonical content, so a redelivered copy has equal bytes.
        var versioned: [UInt8] = []
        versioned.reserveCapacity(reading.kind == .waveform ? 1024 : 384)
        versioned.append(ReadingPlaintext.version1)
        reading.writeCanonical(into: &versioned)
        let digest = contentDigester.digest(versioned)  // over 0x01 ‖ canonical: no salt, so copies match
        var sameIdentity: [Int64] = []
        var duplicateOf: Int64?
        let highWater = deviceTimeHighWater[reading.device.rawValue]
        if reading.deviceTime <= max(storedDeviceTimeFloor, highWater ?? .min) {  // else nothing stored can match
            let lookup = try db.cached(literal:
                "SELECT id, digest FROM readings WHERE device_time = ? AND device = ? AND seq = ? AND kind = ?")
            identityLookups += 1
            try lookup.bind(.integer(reading.deviceTime), .text(reading.device.rawValue), .integer(Int64(reading.seq)),
                            .text(reading.kind.rawValue))
            while try lookup.step() {
                let id = lookup.int64(0)
                sameIdentity.append(id)
                // Rows of format 3 keep the digest's first 16 bytes (``compactDigestBytes``).
                if let stored = lookup.blob(1),
                   constantTimeEquals(stored, stored.count == Self.compactDigestBytes ? Array(digest.prefix(stored.count)) : digest) {
                    duplicateOf = id
                }
            }
            lookup.reset()
        }
        if let original = duplicateOf {
            try db.cached(literal: "UPDATE readings SET duplicates = duplicates + 1 WHERE id = ?").run(.integer(original))
            result.duplicates += 1
            return
        }
        let conflict = !sameIdentity.isEmpty
        if conflict {
            for id in sameIdentity {
                try db.cached(literal: "UPDATE readings SET conflict = 1 WHERE id = ?").run(.integer(id))
            }
            result.conflicts += 1
        }
        var patientRef: Int64?
        var key = gatewayKey
        var keySlot = Self.gatewayKeySlot
        if let patient {
            let entry = try self.patient(for: patient, at: reading.receivedAt)
            patientRef = entry.ref
            if let patientKey = entry.key { (key, keySlot) = (patientKey, entry.ref) }
        } else {
            result.unpaired += 1
        }
        let id = nextReadingID
        // Plaintext v3: 0x03 ‖ salt ‖ compact body (firmware and measurements). The header fields
        // stay in clear columns only, bound by the associated data; the canonical bytes are rebuilt
        // from both when read. The salt lives only inside the ciphertext, so erasing the data key
        // destroys it with the content; the commitment stays verifiable. A reading the compact
        // body cannot hold is stored as plaintext v2: 0x02 ‖ salt ‖ canonical.
        var plaintext: [UInt8] = []
        plaintext.reserveCapacity(reading.kind == .waveform ? 33 + 2 * versioned.count / 3 : 160)
        plaintext.append(ReadingPlaintext.version3)
        nonces.append(32, to: &plaintext)  // the salt
        let compact = storesCompactRows && CompactReading.writeBody(reading, into: &plaintext)
        // commitment = SHA-256(salt ‖ canonical)
        var hasher = SHA256.Hasher()
        hasher.update(plaintext[1..<33])
        hasher.update(versioned[1...])
        let commitment = try Commitment(bytes: hasher.finalize())
        let aad: [UInt8]
        if compact {
            aad = Self.readingAADv3(id: id, device: reading.device.rawValue, kind: reading.kind.rawValue, seq: reading.seq,
                                    deviceTime: reading.deviceTime, model: reading.model, schemaID: reading.schemaID)
        } else {
            plaintext[0] = ReadingPlaintext.version2
            plaintext.append(contentsOf: versioned[1...])
            aad = Self.readingAAD(id: id, device: reading.device.rawValue)
        }
        let encrypted = try encryptor(for: key, slot: keySlot).encryptCombined(plaintext, nonce: nonces.bytes(AES256GCM.nonceByteCount),
                                                       associatedData: aad)
        try db.cached(literal: """
            INSERT INTO readings (id, device, kind, seq, device_time, received_at, model, schema_id, patient_ref,
                                  digest, conflict, ciphertext, commitment, format)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).run(.integer(id), .text(reading.device.rawValue), .text(reading.kind.rawValue),
                     .integer(Int64(reading.seq)), .integer(reading.deviceTime), .integer(reading.receivedAt),
                     .text(reading.model), .text(reading.schemaID), patientRef.map { .integer($0) } ?? .null,
                     .blob(compact ? Array(digest[..<Self.compactDigestBytes]) : digest), .integer(conflict ? 1 : 0),
                     .blob(encrypted), .blob(commitment.bytes),
                     compact ? .integer(Self.compactFormat) : .null)
        sealingLog.recordInserted(id: id, commitment: commitment, receivedAt: reading.receivedAt)
        // Raised even if the transaction rolls back: a mark too high only costs a lookup.
        if reading.deviceTime > highWater ?? .min {
            if highWater == nil && deviceTimeHighWater.count >= Self.highWaterDevices {
                // Bounded: fold the marks into the floor (a few more lookups, never a missed one).
                storedDeviceTimeFloor = max(storedDeviceTimeFloor, deviceTimeHighWater.values.max() ?? .min)
                deviceTimeHighWater.removeAll()
            }
            deviceTimeHighWater[reading.device.rawValue] = reading.deviceTime
        }
        nextReadingID += 1
        result.stored += 1
    }

    /// Devices with a high-water mark at most (beyond, the marks fold into the floor).
    static let highWaterDevices = 65_536

    /// The cached sealing context for `key`, found by `slot`: the patient's row id, or
    /// `gatewayKeySlot` for the gateway key. The cached key is compared too (an identical
    /// array compares by its buffer): a row id can come back with another key after a
    /// rolled-back transaction created that patient. The cache is cleared past 4,096 keys
    /// rather than grown.
    private func encryptor(for key: [UInt8], slot: Int64) throws(CryptoError) -> AES256GCM.KeyedEncryptor {
        if let cached = sealers[slot], cached.key == key { return cached.sealer }
        if sealers.count >= 4096 { sealers.removeAll() }
        let sealer = try AES256GCM.KeyedEncryptor(key: key)
        sealers[slot] = (key, sealer)
        return sealer
    }

    /// The `sealers` slot of the gateway key (patient row ids are positive).
    static let gatewayKeySlot: Int64 = -1

    private func storeQuarantined(_ message: IncomingMessage, device: String?, kind: String?,
                                  verdict: QuarantineVerdict) throws {
        let id = nextQuarantineID
        // The topic is kept inside the ciphertext too: a bad topic may carry anything.
        var plaintext = Array(message.topic.utf8) + [0]
        plaintext += message.payload
        let encrypted = try AES256GCM.encrypt(plaintext, key: gatewayKey, associatedData: Self.quarantineAAD(id: id))
        try db.cached(literal: """
            INSERT INTO quarantine (id, received_at, device, kind, reason, detail, payload_ct)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """).run(.integer(id), .integer(message.receivedAt), device.map { .text($0) } ?? .null,
                     kind.map { .text($0) } ?? .null, .text(verdict.reason.rawValue), .text(verdict.detail),
                     .blob(encrypted.combined))
        nextQuarantineID += 1
    }

    private func storeAlert(_ alert: AlertRecord) throws {
        let id = nextAlertID
        var patientRef: Int64?
        var key = gatewayKey
        if let patient = alert.patient {
            let entry = try self.patient(for: patient, at: alert.at)
            patientRef = entry.ref
            key = entry.key ?? gatewayKey
        }
        let encrypted = try AES256GCM.encrypt(alert.body, key: key, associatedData: Self.alertAAD(id: id))
        // The alert is sealed with the readings: a record over its JSON line, provable like a
        // reading (`prove` with the alert's record_id) and erased with the patient's key.
        let recordID = nextReadingID
        try insertSealedRecord(id: recordID, canonical: alert.body, at: alert.at, schema: "alert-v1",
                               device: alert.device ?? "-", patientRef: patientRef, key: key)
        nextReadingID += 1
        try db.cached(literal: """
            INSERT INTO alerts (id, at, device, patient_ref, category, kind, score, body_ct, record_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).run(.integer(id), .integer(alert.at), alert.device.map { .text($0) } ?? .null,
                     patientRef.map { .integer($0) } ?? .null, .text(alert.category), .text(alert.kind),
                     .real(alert.score), .blob(encrypted.combined), .integer(recordID))
        nextAlertID += 1
    }

    private func bumpCounters(_ deltas: [String: Int]) throws {
        for (name, delta) in deltas where delta != 0 {
            try db.cached(literal: """
                INSERT INTO counters (name, value) VALUES (?, ?)
                ON CONFLICT(name) DO UPDATE SET value = value + excluded.value
                """).run(.text(name), .integer(Int64(delta)))
        }
    }
}

/// Version tag of the encrypted reading plaintext: v1 `0x01 ‖ canonical`, v2 `0x02 ‖ salt(32) ‖ canonical`,
/// v3 `0x03 ‖ salt(32) ‖ compact body` (rows of `format` 3 only; `CompactReading`).
enum ReadingPlaintext {
    static let version1: UInt8 = 1
    static let version2: UInt8 = 2
    static let version3: UInt8 = 3
}
