internal import Telemetry

/// One device reading of any family, so faults can treat them alike.
enum DeviceReading {
    case oxiPatch(OxiPatchReading)
    case cardioStrip(CardioStripReading)
    case thermaDot(ThermaDotReading)
    case cuffPro(CuffProReading)
    case resPod(ResPodReading)

    func encode(firmware: String) -> [UInt8] {
        switch self {
        case .oxiPatch(let r): r.encode(firmware: firmware)
        case .cardioStrip(let r): r.encode()
        case .thermaDot(let r): r.encode(firmware: firmware)
        case .cuffPro(let r): r.encode()
        case .resPod(let r): r.encode()
        }
    }

    mutating func makeImplausible(using rng: inout SplitMix64) {
        switch self {
        case .oxiPatch(var r): r.makeImplausible(using: &rng); self = .oxiPatch(r)
        case .cardioStrip(var r): r.makeImplausible(using: &rng); self = .cardioStrip(r)
        case .thermaDot(var r): r.makeImplausible(using: &rng); self = .thermaDot(r)
        case .cuffPro(var r): r.makeImplausible(using: &rng); self = .cuffPro(r)
        case .resPod(var r): r.makeImplausible(using: &rng); self = .resPod(r)
        }
    }
}

extension TelemetrySimulator {
    /// One reading slot of device `d` at publish time `now`.
    mutating func processDevice(_ d: Int, at now: Int64) {
        if now < states[d].silentUntil { return }
        if states[d].silentUntil != .min {
            states[d].silentUntil = .min
            resume(d, at: now)
        }
        expireStates(d, at: now)

        let p = states[d].patient
        patientModels[p].advance(to: now)
        let vitals = patientModels[p].vitals
        let artifacts = config.benignArtifacts

        let fault = decideFault(d, kind: .vitals, at: now)
        if now < states[d].silentUntil { return }  // the fault took the device off the air
        var reading: DeviceReading
        switch states[d].family {
        case .oxiPatch:
            reading = .oxiPatch(states[d].sampleOxiPatch(vitals, now: now, artifacts: artifacts))
        case .cardioStrip:
            emitCardioStrip(d, vitals: vitals, at: now, vitalsFault: fault)
            return
        case .thermaDot:
            reading = .thermaDot(states[d].sampleThermaDot(vitals, now: now))
        case .cuffPro:
            reading = .cuffPro(states[d].sampleCuffPro(vitals, now: now, artifacts: artifacts))
        case .resPod:
            reading = .resPod(states[d].sampleResPod(vitals, now: now))
        }
        if fault == .implausible { reading.makeImplausible(using: &states[d].faultRng) }
        publish(d, topic: states[d].topics.vitals, kind: .vitals,
                payload: reading.encode(firmware: states[d].firmware), at: now, fault: fault)
    }

    /// CardioStrip: vitals then (when enabled) the waveform chunk of the past second, sharing `seq`.
    private mutating func emitCardioStrip(_ d: Int, vitals: PatientVitals, at now: Int64, vitalsFault: FaultKind?) {
        let render = config.emitWaveform
        var reading = DeviceReading.cardioStrip(
            states[d].sampleCardioStrip(vitals, now: now, artifacts: config.benignArtifacts,
                                        samples: &sampleBuffer, render: render))
        if vitalsFault == .implausible { reading.makeImplausible(using: &states[d].faultRng) }
        publish(d, topic: states[d].topics.vitals, kind: .vitals,
                payload: reading.encode(firmware: states[d].firmware), at: now, fault: vitalsFault)
        guard render else { return }

        let fault = decideFault(d, kind: .waveform, at: now)
        if now < states[d].silentUntil { return }
        let fs = ECGSynth.sampleRate
        var chunk = WaveformChunk(seq: states[d].takeSeq(), ts0: states[d].deviceTime(at: now - 1000),
                                  sampleRate: fs, declaredCount: fs)
        var samples = sampleBuffer[...]
        if fault == .waveformMismatch {
            let shortfall = states[d].faultRng.int(in: 1...50)
            if states[d].faultRng.chance(0.5) {
                samples = sampleBuffer[..<(fs - shortfall)]  // n says 250, fewer samples follow
            } else {
                samples = sampleBuffer[..<(fs - shortfall)]
                chunk.declaredCount = fs - shortfall  // n matches the samples but not fs
            }
        }
        let payload = chunk.encode(samples: samples, scratch: &byteScratch)
        publish(d, topic: states[d].topics.waveform, kind: .waveform, payload: payload, at: now, fault: fault)
    }

    /// A device coming back after a reboot or a move to another patient.
    private mutating func resume(_ d: Int, at now: Int64) {
        switch states[d].resume {
        case .none:
            break
        case .reboot:
            states[d].seq = 0
            states[d].battery = 100
            enqueue(info(d, firmware: states[d].firmware, at: now, fault: .reboot), device: d)
        case .pair:
            enqueue(pair(d, at: now, fault: .deviceSwap), device: d)
        }
        states[d].resume = .none
    }

    /// Ends timed fault states whose time is over.
    private mutating func expireStates(_ d: Int, at now: Int64) {
        if states[d].unsyncedUntil != .min && now >= states[d].unsyncedUntil {
            states[d].unsyncedUntil = .min
            states[d].lastSync = now - DeviceState.syncInterval  // resync on this reading
        }
        if states[d].bufferUntil != .min && now >= states[d].bufferUntil {
            states[d].bufferUntil = .min
        }
        if states[d].unknownFirmwareUntil != .min && now >= states[d].unknownFirmwareUntil {
            states[d].unknownFirmwareUntil = .min
            enqueue(info(d, firmware: states[d].firmware, at: now, fault: .unknownFirmware), device: d)
        }
    }

    /// Queues one vitals or waveform message, applying message-level faults and routing it
    /// through an ongoing BLE outage.
    mutating func publish(_ d: Int, topic: String, kind: MessageKind, payload: [UInt8], at now: Int64,
                          fault: FaultKind?) {
        var payload = payload
        var at = now
        switch fault {
        case .truncated?:
            payload.removeSubrange(states[d].faultRng.int(in: 1...(payload.count - 1))...)
        case .corrupted?:
            corrupt(&payload, rng: &states[d].faultRng)
        case .outOfOrder?:
            at = now + states[d].period + 1  // after the device's next reading
        default:
            break
        }
        var tag = fault == .duplicate ? nil : fault  // the original of a duplicate is normal traffic
        if now < states[d].bufferUntil {
            at = states[d].bufferUntil + 2 * states[d].bufferedCount
            states[d].bufferedCount += 1
            tag = tag ?? .burst
        }
        if tag == nil {
            if now < states[d].unsyncedUntil {
                tag = .unsynced
            } else if now < states[d].unknownFirmwareUntil {
                tag = .unknownFirmware
            }
        }
        let message = SimulatedMessage(topic: topic, payload: payload, qos: 1, retain: false, at: at, fault: tag)
        enqueue(message, family: states[d].family, kind: kind)
        states[d].remember(message)
        if fault == .duplicate { resendRecent(d, at: now) }
    }

    /// Flips bit 7 of one byte (all payloads are ASCII, so this is always invalid UTF-8) and up
    /// to three low bits elsewhere.
    private func corrupt(_ payload: inout [UInt8], rng: inout SplitMix64) {
        guard !payload.isEmpty else { return }
        payload[rng.int(below: payload.count)] ^= 0x80
        for _ in 0..<rng.int(in: 0...3) {
            payload[rng.int(below: payload.count)] ^= UInt8(1) << UInt8(rng.int(below: 7))
        }
    }

    /// Re-sends the device's last 1-5 messages byte-identical, 0.2-2 s later (a bridge reconnect).
    private mutating func resendRecent(_ d: Int, at now: Int64) {
        let history = states[d].history
        let count = states[d].faultRng.int(in: 1...min(5, history.count))
        let at = now + states[d].faultRng.int64(in: 200...2000)
        for (j, original) in history.suffix(count).enumerated() {
            var copy = original
            copy.at = at + Int64(j)
            copy.fault = .duplicate
            enqueue(copy, family: states[d].family, kind: DeviceTopic(copy.topic)?.kind ?? .vitals)
        }
    }
}
