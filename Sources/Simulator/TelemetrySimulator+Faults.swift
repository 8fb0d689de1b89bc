internal import Telemetry

extension TelemetrySimulator {
    /// Rolls for a fault on the next message of device `d`. Device-level faults take effect here
    /// (state changes, extra `info`/`pair` messages); message-level ones are returned for the
    /// caller to apply. Every injection counts once in `summary.faultEvents`.
    mutating func decideFault(_ d: Int, kind: MessageKind, at now: Int64) -> FaultKind? {
        guard !enabledFaults.isEmpty, now >= states[d].restUntil,
              states[d].faultRng.chance(config.faultRate)
        else { return nil }
        guard let fault = chooseFault(d, kind: kind, at: now) else { return nil }
        summary.faultEvents[fault, default: 0] += 1
        // Let the device settle before the next fault so that effects stay distinguishable.
        let rest = max(10_000, 3 * states[d].period)
        states[d].restUntil = now + rest

        switch fault {
        case .duplicate, .outOfOrder, .truncated, .corrupted, .implausible, .waveformMismatch:
            return fault
        case .reboot:
            let outage = states[d].faultRng.int64(in: 5_000...30_000)
            states[d].silentUntil = now + outage
            states[d].resume = .reboot
            states[d].restUntil = now + outage + rest
        case .deviceSwap:
            swapDevice(d, at: now, rest: rest)
        case .firmwareUpdate:
            let newer = Firmware.upgrade(from: states[d].firmware, family: states[d].family)
            states[d].firmware = newer
            enqueue(info(d, firmware: newer, at: now, fault: .firmwareUpdate), device: d)
        case .burst:
            let outage = states[d].faultRng.int64(in: 20_000...120_000)
            states[d].bufferUntil = now + outage
            states[d].bufferedCount = 0
            states[d].restUntil = now + outage + rest
        case .unsynced:
            let duration = states[d].faultRng.int64(in: 30_000...120_000)
            states[d].unsyncedUntil = now + duration
            states[d].uptimeAtLoss = states[d].faultRng.int64(in: 1_000...60_000)
            states[d].lossTime = now
            states[d].restUntil = now + duration + rest
        case .unknownFirmware:
            let duration = states[d].faultRng.int64(in: 30_000...120_000)
            states[d].unknownFirmwareUntil = now + duration
            states[d].restUntil = now + duration + rest
            enqueue(info(d, firmware: Firmware.unknown, at: now, fault: .unknownFirmware), device: d)
        case .unknownDevice:
            spawnUnknownDevice(at: now)
        }
        return nil
    }

    /// A weighted choice among the enabled kinds that make sense for this message and device.
    private mutating func chooseFault(_ d: Int, kind: MessageKind, at now: Int64) -> FaultKind? {
        var total = 0.0
        var candidates: [(FaultKind, Double)] = []
        for (fault, weight) in zip(enabledFaults, faultWeights) where weight > 0 {
            guard isApplicable(fault, device: d, kind: kind, at: now) else { continue }
            candidates.append((fault, weight))
            total += weight
        }
        guard total > 0 else { return nil }
        var roll = states[d].faultRng.nextDouble() * total
        for (fault, weight) in candidates {
            roll -= weight
            if roll < 0 { return fault }
        }
        return candidates.last?.0
    }

    private func isApplicable(_ fault: FaultKind, device d: Int, kind: MessageKind, at now: Int64) -> Bool {
        switch fault {
        case .duplicate: true  // the current message is always in the history by then
        case .implausible: kind == .vitals
        case .waveformMismatch: kind == .waveform
        case .deviceSwap: patientModels.count < 2 || swapPartner(for: d, at: now) != nil
        case .outOfOrder, .reboot, .firmwareUpdate, .burst, .truncated, .corrupted, .unsynced,
             .unknownDevice, .unknownFirmware: true
        }
    }

    /// A device of the same family on another patient that is not busy with a fault.
    private func swapPartner(for d: Int, at now: Int64) -> Int? {
        let family = states[d].family
        let patient = states[d].patient
        let candidates = states.indices.filter { e in
            e != d && states[e].family == family && states[e].patient != patient
                && now >= states[e].restUntil && states[e].silentUntil == .min
        }
        guard !candidates.isEmpty else { return nil }
        // Deterministic without drawing: rotate by the current time.
        return candidates[Int(now.magnitude % UInt64(candidates.count))]
    }

    /// Detaches the device (and its partner) now; both come back 5-20 s later paired to the other
    /// patient. With one patient, the device moves to a newly admitted patient.
    private mutating func swapDevice(_ d: Int, at now: Int64, rest: Int64) {
        let from = states[d].patient
        var moves: [(device: Int, to: Int)] = []
        if patientModels.count >= 2, let e = swapPartner(for: d, at: now) {
            moves = [(d, states[e].patient), (e, from)]
        } else {
            moves = [(d, admitPatient(at: now))]
        }
        for (offset, move) in moves.enumerated() {
            let detachAt = now + Int64(offset)
            enqueue(detach(move.device, at: detachAt, fault: .deviceSwap), device: move.device)
            let gap = states[d].faultRng.int64(in: 5_000...20_000)
            states[move.device].patient = move.to
            states[move.device].silentUntil = detachAt + gap
            states[move.device].resume = .pair
            states[move.device].restUntil = detachAt + gap + rest
        }
    }

    /// A new patient (fresh identity and physiology) in the next free bed.
    private mutating func admitPatient(at now: Int64) -> Int {
        var rng = SplitMix64(seed: admissionRng.next(), stream: 3)
        let identity = SimulatedPatient(identifier: uniqueMRN(&rng), bed: "ICU-\(patientModels.count + 1)")
        patientModels.append(PatientModel(identity: identity, rng: rng, startTime: now))
        return patientModels.count - 1
    }

    /// A device of a model the gateway has never heard of: a retained `info`, then 10-40 readings
    /// at 1 Hz, all tagged `unknownDevice`.
    private mutating func spawnUnknownDevice(at now: Int64) {
        let models: [(model: String, prefix: String)] = [("GlucoWave", "GLW"), ("NeuroBand", "NRB"), ("SomaTrack", "SMT")]
        var rng = SplitMix64(seed: admissionRng.next(), stream: 4)
        let chosen = rng.pick(models)
        let id = uniqueDeviceID(prefix: chosen.prefix, &rng)
        let topics = DeviceTopics(id)
        var w = PayloadWriter(capacity: 64)
        w.string("model", chosen.model)
        w.string("fw", "1.0.0")
        w.string("serial", id.rawValue)
        enqueue(SimulatedMessage(topic: topics.info, payload: w.finish(), qos: 1, retain: true, at: now,
                                 fault: .unknownDevice),
                family: nil, kind: .info)
        let count = rng.int(in: 10...40)
        var level = rng.uniform(4...8)
        for k in 0..<count {
            let at = now + 1000 * Int64(k + 1)
            level += rng.gaussian() * 0.05
            var v = PayloadWriter(capacity: 64)
            v.int("seq", k)
            v.int("ts", at)
            v.fixed("value", level, decimals: 2)
            enqueue(SimulatedMessage(topic: topics.vitals, payload: v.finish(), qos: 1, retain: false, at: at,
                                     fault: .unknownDevice),
                    family: nil, kind: .vitals)
        }
    }
}
