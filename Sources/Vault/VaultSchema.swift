import SQLite

/// Versioned schema migrations, applied in order inside one transaction each; the database's
/// `user_version` records the last one applied. Never edit a shipped migration: append one.
enum VaultSchema {
    static let migrations: [String] = [
        // 1: ingest foundation.
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
        -- One row per patient pseudonym (HMAC of the identifier). The data key is wrapped by the
        -- key-encryption key; the identifier itself is encrypted under the data key.
        CREATE TABLE patients (
            id INTEGER PRIMARY KEY,
            pseudonym BLOB NOT NULL UNIQUE,
            wrapped_key BLOB,
            identifier_ct BLOB,
            created_at INTEGER NOT NULL,
            erased_at INTEGER
        );
        CREATE TABLE devices (
            device TEXT PRIMARY KEY,
            model TEXT, firmware TEXT, serial TEXT,
            patient_ref INTEGER REFERENCES patients(id),
            bed TEXT,
            updated_at INTEGER NOT NULL
        );
        -- Readings: metadata in clear, content (canonical bytes) in ciphertext (AES-256-GCM,
        -- associated data binds the row id and device). patient_ref NULL = unpaired.
        CREATE TABLE readings (
            id INTEGER PRIMARY KEY,
            device TEXT NOT NULL,
            kind TEXT NOT NULL,
            seq INTEGER NOT NULL,
            device_time INTEGER NOT NULL,
            received_at INTEGER NOT NULL,
            model TEXT NOT NULL,
            schema_id TEXT NOT NULL,
            patient_ref INTEGER REFERENCES patients(id),
            digest BLOB NOT NULL,
            conflict INTEGER NOT NULL DEFAULT 0,
            duplicates INTEGER NOT NULL DEFAULT 0,
            ciphertext BLOB NOT NULL
        );
        -- Duplicate detection looks readings up by (device time, device, seq). Device time leads
        -- because it is nearly monotonic: inserts land on the rightmost index pages, so a batch
        -- dirties a few pages instead of one per device (measured: this halved the store cost).
        -- No per-patient index: export and erasure scan, ingest must not pay for them.
        CREATE INDEX readings_identity ON readings(device_time, device, seq);
        -- Messages that did not become readings; the raw payload is encrypted under the gateway key.
        CREATE TABLE quarantine (
            id INTEGER PRIMARY KEY,
            received_at INTEGER NOT NULL,
            device TEXT,
            kind TEXT,
            reason TEXT NOT NULL,
            detail TEXT NOT NULL,
            payload_ct BLOB NOT NULL
        );
        CREATE INDEX quarantine_reason ON quarantine(reason);
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            at INTEGER NOT NULL,
            device TEXT NOT NULL,
            type TEXT NOT NULL,
            detail TEXT NOT NULL,
            patient_ref INTEGER REFERENCES patients(id)
        );
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            at INTEGER NOT NULL,
            device TEXT,
            patient_ref INTEGER REFERENCES patients(id),
            category TEXT NOT NULL,
            kind TEXT NOT NULL,
            score REAL NOT NULL,
            body_ct BLOB NOT NULL,
            published INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
        """,
        // 2: sealing. Each reading gets a salted commitment (the salt is inside its ciphertext),
        // readings are sealed in signed batches, batch header hashes form the embedded log.
        """
        ALTER TABLE readings ADD COLUMN commitment BLOB;
        -- A batch seals a contiguous range of reading ids (oldest unsealed first), so membership
        -- needs no per-reading column or index: unsealed readings are the ids above the last
        -- batch's last_id, and a reading's batch is the one whose range holds its id.
        CREATE TABLE batches (
            seq INTEGER PRIMARY KEY,
            first_id INTEGER NOT NULL UNIQUE,
            last_id INTEGER NOT NULL,
            header BLOB NOT NULL,
            signature BLOB NOT NULL,
            hash BLOB NOT NULL UNIQUE,
            close_reason TEXT NOT NULL,
            sealed_at INTEGER NOT NULL
        );
        -- The embedded log: leaf i is the hash of batch i's header.
        CREATE TABLE log_leaves (idx INTEGER PRIMARY KEY, header_hash BLOB NOT NULL);
        CREATE TABLE checkpoints (size INTEGER PRIMARY KEY, note TEXT NOT NULL, created_at INTEGER NOT NULL);
        """,
        // 3: anchoring. The checkpoints table is the queue (every checkpoint above the largest
        // anchored size is unanchored); a row here is a submission to a ledger backend, in flight
        // (`pending`, with the backend's ticket) or done (`anchored`, with verified evidence).
        """
        CREATE TABLE anchors (
            size INTEGER PRIMARY KEY REFERENCES checkpoints(size),
            backend TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'anchored')),
            ticket BLOB,
            submitted_at INTEGER,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            evidence BLOB,
            anchored_at INTEGER
        );
        """,
        // 4: the log's interior nodes, the root of every completed perfect subtree above the
        // leaves, so roots and proofs are O(log n) lookups and the agent keeps only the log's
        // frontier in memory. Filled from log_leaves on first use (VaultLogStore.ensureNodes).
        """
        CREATE TABLE log_nodes (
            level INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            hash BLOB NOT NULL,
            PRIMARY KEY (level, idx)
        ) WITHOUT ROWID;
        """,
        // 5: alerts are sealed like readings: each alert also gets a sealed record (a readings row
        // of kind `event`, schema `alert-v1`, under the patient's key), named here.
        """
        ALTER TABLE alerts ADD COLUMN record_id INTEGER REFERENCES readings(id);
        """,
        // 6: state that belongs to one patient (the detector's trends and gate entries), one row
        // per patient under that patient's data key: saved a patient at a time, erased with them.
        """
        CREATE TABLE patient_state (
            patient_ref INTEGER NOT NULL REFERENCES patients(id),
            name TEXT NOT NULL,
            value BLOB NOT NULL,
            PRIMARY KEY (patient_ref, name)
        ) WITHOUT ROWID;
        """,
        // 7: an erased patient's row gives up its pseudonym (kept in erased_pseudonym), so the same
        // person re-admitted later gets a new row and key, and the erased row's readings stay
        // erased instead of being read with the new key.
        """
        ALTER TABLE patients ADD COLUMN erased_pseudonym BLOB;
        UPDATE patients SET erased_pseudonym = pseudonym, pseudonym = randomblob(32)
            WHERE erased_at IS NOT NULL AND wrapped_key IS NULL;
        CREATE INDEX patients_erased_pseudonym ON patients(erased_pseudonym) WHERE erased_pseudonym IS NOT NULL;
        """,
        // 8: the outbox. Each sink's cursor (every record up to last_id is delivered or
        // dead-lettered), and the records a receiver refused for good, with its reason.
        """
        CREATE TABLE sink_cursors (
            sink TEXT PRIMARY KEY,
            last_id INTEGER NOT NULL,
            delivered INTEGER NOT NULL DEFAULT 0,
            dead_letters INTEGER NOT NULL DEFAULT 0,
            last_success_at INTEGER,
            last_error TEXT
        ) WITHOUT ROWID;
        CREATE TABLE dead_letters (
            id INTEGER PRIMARY KEY,
            sink TEXT NOT NULL,
            record_id INTEGER NOT NULL REFERENCES readings(id),
            at INTEGER NOT NULL,
            reason TEXT NOT NULL
        );
        """,
        // 9: sinks that take only alerts (the local broker's alerts topic) find them through the
        // alerts table's link to their sealed records, indexed; each cursor records its selection.
        // Alerts are also found by time: a reading whose arrival raised a value check's alert is
        // delivered as questionable.
        // Not a partial index on `readings`: SQLite re-prepares every statement that compares a
        // bound parameter with a partial index's condition (the dedupe lookup's `kind = ?`)
        // whenever that binding changes, which cost the drain 15 % (BENCHMARKS, issue 19).
        // The alerts already stored were published from memory by the build that stored them:
        // the local alerts sink (Delivery's `MQTTSink.localAlertsName`) starts after them.
        """
        CREATE INDEX alerts_record_id ON alerts(record_id);
        CREATE INDEX alerts_at ON alerts(at);
        ALTER TABLE sink_cursors ADD COLUMN selection TEXT NOT NULL DEFAULT 'all';
        INSERT INTO sink_cursors (sink, last_id, selection)
            SELECT 'local-alerts', max(record_id), 'alerts' FROM alerts HAVING max(record_id) IS NOT NULL;
        """,
        // 10: the stored format of a reading row: 3 for plaintext v3 (the header fields only in
        // clear columns, bound by the associated data; docs/CANONICAL-READING.md); NULL for the
        // rows before, whose plaintext version is its first byte (issue 20, smaller rows).
        """
        ALTER TABLE readings ADD COLUMN format INTEGER;
        """,
        // 11: consent records from signed consent documents (issue 21): the newest accepted
        // envelope per (patient, record id), encrypted under the patient's data key and removed
        // at erasure; and a high-water mark per record, keyed by an HMAC of patient and id under
        // the gateway key (no identifier), kept after erasure so that an old document stays a replay.
        """
        CREATE TABLE consent_records (
            record_key BLOB PRIMARY KEY,
            patient_ref INTEGER NOT NULL REFERENCES patients(id),
            version INTEGER NOT NULL,
            document BLOB NOT NULL
        );
        CREATE INDEX consent_records_patient ON consent_records(patient_ref);
        CREATE TABLE consent_high_water (
            record_key BLOB PRIMARY KEY,
            version INTEGER NOT NULL,
            digest BLOB NOT NULL
        );
        """,
        // 12: the disclosure log (issue 21). Each disclosure is a sealed record (a readings row of
        // kind `event`, schema `disclosure-v1`, under the patient's data key); this table finds a
        // patient's records without scanning the readings. Written by any connection (delivery
        // workers, exports); the agent seals them (Vault+Disclosures). Never pruned.
        """
        CREATE TABLE disclosures (
            record_id INTEGER PRIMARY KEY REFERENCES readings(id),
            patient_ref INTEGER NOT NULL REFERENCES patients(id),
            at INTEGER NOT NULL
        );
        CREATE INDEX disclosures_patient ON disclosures(patient_ref, at);
        """,
        // 13: consent at the sinks (issue 21). Records a sink may not disclose now, held until
        // consent arrives or their window ends (by record id only: the record stays where it
        // is); records passed over for consent, with the reason; each sink's counts of both.
        """
        CREATE TABLE consent_holds (
            sink TEXT NOT NULL,
            record_id INTEGER NOT NULL,
            held_at INTEGER NOT NULL,
            until INTEGER NOT NULL,
            reason TEXT NOT NULL,
            PRIMARY KEY (sink, record_id)
        ) WITHOUT ROWID;
        CREATE INDEX consent_holds_until ON consent_holds(sink, until);
        CREATE TABLE consent_skips (
            id INTEGER PRIMARY KEY,
            sink TEXT NOT NULL,
            record_id INTEGER NOT NULL,
            at INTEGER NOT NULL,
            reason TEXT NOT NULL
        );
        ALTER TABLE sink_cursors ADD COLUMN consent_held INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE sink_cursors ADD COLUMN consent_released INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE sink_cursors ADD COLUMN consent_skipped INTEGER NOT NULL DEFAULT 0;
        """,
        // 14: disclosures aggregated over a window (issue 21). A sink that delivers every half second
        // seals one disclosure per patient per window instead of per delivery: the window's open
        // aggregate (patient, recipient, channel, purpose, basis) is kept here, encrypted under the
        // patient's data key, updated with the sink's cursor and sealed as a disclosure record when
        // the window ends (Vault+DisclosureAggregates).
        """
        CREATE TABLE disclosure_aggregates (
            id INTEGER PRIMARY KEY,
            sink TEXT NOT NULL,
            patient_ref INTEGER NOT NULL REFERENCES patients(id),
            opened_at INTEGER NOT NULL,
            content BLOB NOT NULL
        );
        CREATE INDEX disclosure_aggregates_patient ON disclosure_aggregates(sink, patient_ref);
        CREATE INDEX disclosure_aggregates_opened ON disclosure_aggregates(sink, opened_at);
        """,
        // 15: compacted batches (issue 20). Once every reading of an anchored batch is pruned, its
        // rows give way to one row here: the batch's leaves (its readings' commitments, in id order:
        // the ids are the batch's range) and an AES-GCM tag of nothing under the gateway key that
        // binds them to the batch. Proofs of its readings are built from the leaves.
        """
        CREATE TABLE compacted_batches (
            seq INTEGER PRIMARY KEY REFERENCES batches(seq),
            leaves BLOB NOT NULL,
            tag BLOB NOT NULL
        );
        """,
    ]

    static var currentVersion: Int32 { Int32(migrations.count) }

    /// Brings `db` to the current version; refuses databases from a newer build.
    ///
    /// Any number of connections, in any number of processes, may migrate one vault at once (the
    /// agent creating it while `stats` opens it, issue 20): each migration runs in its own
    /// exclusive transaction that re-reads `user_version` inside it, so whoever gets the write
    /// lock second waits (the busy timeout), then finds the migration applied and moves on.
    /// A vault that is already current costs one read and takes no write lock.
    static func migrate(_ db: Connection) throws(VaultError) {
        let version: Int32
        do { version = try db.userVersion } catch {
            throw VaultError(.storage, "cannot read the schema version", underlying: error)
        }
        try refuseNewer(version)
        guard version < currentVersion else { return }
        while try applyNext(db) {}
    }

    /// Applies the next migration, if one is still missing, in one exclusive transaction that
    /// reads the version under the write lock. Returns whether it applied one.
    private static func applyNext(_ db: Connection) throws(VaultError) -> Bool {
        var applying: Int?
        do {
            return try db.transaction(.exclusive) { () throws -> Bool in
                let version = try db.userVersion  // under the write lock: another opener may have migrated
                try refuseNewer(version)
                guard version < currentVersion else { return false }
                applying = Int(version)
                try db.execute(migrations[Int(version)])
                try db.setUserVersion(version + 1)
                return true
            }
        } catch let error as VaultError {
            throw error
        } catch {
            let busy = (error as? SQLiteError).map { $0.code == .busy || $0.code == .locked } ?? false
            let step = applying.map { "migration \($0 + 1) failed" } ?? "cannot start migrating the vault"
            let why = busy ? ": another process kept the vault locked for more than "
                + "\(Connection.defaultBusyTimeoutMs / 1000) s (try again)" : ""
            throw VaultError(.migration, step + why, underlying: error)
        }
    }

    private static func refuseNewer(_ version: Int32) throws(VaultError) {
        guard version <= currentVersion else {
            throw VaultError(.migration, "vault schema \(version) is newer than this build (\(currentVersion))")
        }
    }
}
