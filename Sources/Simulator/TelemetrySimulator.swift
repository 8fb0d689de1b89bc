public import Telemetry

/// A simulated device as it was set up (or is now, for firmware and patient).
public struct SimulatedDevice: Sendable, Equatable {
    /// The device id used in its topics (`OXP-7F31A2`).
    public var id: DeviceID
    /// The device family (and `info` model).
    public var family: DeviceFamily
    /// The firmware whose payload format the device currently uses.
    public var firmware: String
    /// The patient the device is attached to.
    public var patient: SimulatedPatient
}

/// The deterministic telemetry generator behind `vitalgate simulate`.
///
/// It produces the MQTT messages of `config.patients` patients, each wearing an OxiPatch,
/// CardioStrip, ThermaDot, CuffPro and ResPod (DEVICES.md), and the time at which each should be
/// published. Nothing here does I/O or reads a clock: the caller asks for everything due up to
/// a time, and equal configurations give byte-identical output however the calls are split.
///
/// ```swift
/// var simulator = try TelemetrySimulator(config: SimulatorConfig(patients: 8, seed: 42))
/// for message in simulator.messages(until: simulator.config.startTime + 10_000) { ... }
/// ```
///
/// First come the retained `info` and `pair` messages of every device (at `startTime`), then
/// vitals at the device rates (OxiPatch, CardioStrip, ResPod 1 Hz; ThermaDot every minute;
/// CuffPro every `cuffProIntervalSeconds`) and one ECG waveform chunk per second per CardioStrip.
public struct TelemetrySimulator: Sendable {
    /// The configuration this stream was generated from.
    public let config: SimulatorConfig
    /// Counts of everything returned so far, and of the faults injected.
    public internal(set) var summary = SimulationSummary()
    /// The latest `until` passed to `messages(until:)` (or the start time).
    public private(set) var currentTime: Int64

    var patientModels: [PatientModel] = []
    var states: [DeviceState] = []
    var schedule = MinHeap<ScheduledTick>()
    var pending = MinHeap<PendingMessage>()
    var serial: UInt64 = 0
    var usedIDs: Set<String> = []
    /// Enabled fault kinds in declaration order (never iterate the `Set`: its order varies by run).
    let enabledFaults: [FaultKind]
    let faultWeights: [Double]
    /// Draws for patients admitted mid-run and unknown devices.
    var admissionRng: SplitMix64
    /// Scratch buffers reused for every waveform chunk.
    var sampleBuffer: [Int16] = []
    var byteScratch: [UInt8] = []

    /// Sets up patients and devices and queues the retained `info` and `pair` messages.
    public init(config: SimulatorConfig) throws(SimulatorError) {
        try config.validate()
        self.config = config
        currentTime = config.startTime
        enabledFaults = FaultKind.allCases.filter { config.faults.contains($0) }
        faultWeights = enabledFaults.map { config.faultWeights[$0] ?? 1 }
        admissionRng = SplitMix64(seed: config.seed, stream: 0xAD)
        sampleBuffer.reserveCapacity(ECGSynth.sampleRate)
        byteScratch.reserveCapacity(ECGSynth.sampleRate * 2)

        var master = SplitMix64(seed: config.seed, stream: 0x5EED)
        for index in 0..<config.patients {
            let patientSeed = master.next()
            var idRng = SplitMix64(seed: patientSeed, stream: 2)
            let identity = SimulatedPatient(identifier: uniqueMRN(&idRng), bed: "ICU-\(index + 1)")
            let model = PatientModel(identity: identity, rng: SplitMix64(seed: patientSeed, stream: 1),
                                     startTime: config.startTime)
            patientModels.append(model)
            for (k, family) in DeviceFamily.allCases.enumerated() {
                var deviceRng = SplitMix64(seed: patientSeed, stream: 100 + UInt64(k))
                let id = uniqueDeviceID(prefix: family.idPrefix, &deviceRng)
                let state = DeviceState(id: id, family: family, firmware: firmware(for: family, patient: index),
                                        patient: index, period: period(of: family), startTime: config.startTime,
                                        heartRate: model.vitals.heartRate, rng: deviceRng)
                states.append(state)
            }
        }
        for device in states.indices {
            enqueue(info(device, firmware: states[device].firmware, at: config.startTime, fault: nil), device: device)
            enqueue(pair(device, at: config.startTime, fault: nil), device: device)
            schedule.push(ScheduledTick(time: states[device].nextTick, device: device))
        }
    }

    /// Every message due at or before `t` (ms since the epoch) that was not returned before,
    /// in non-decreasing `at` order.
    public mutating func messages(until t: Int64) -> [SimulatedMessage] {
        runTicks(through: t)
        var out: [SimulatedMessage] = []
        while let next = pending.min, next.message.at <= t {
            _ = pending.pop()
            record(next)
            out.append(next.message)
        }
        currentTime = max(currentTime, t)
        return out
    }

    /// The next message in publish order, generating as far ahead as needed (never `nil`:
    /// the stream is endless). Use it to produce a stream as fast as possible.
    public mutating func nextMessage() -> SimulatedMessage? {
        while true {
            if let next = pending.min, schedule.min.map({ next.message.at < $0.time }) ?? true {
                _ = pending.pop()
                record(next)
                currentTime = max(currentTime, next.message.at)
                return next.message
            }
            guard let tick = schedule.pop() else { return nil }
            process(tick)
        }
    }

    /// The earliest time at which something may be due: a queued message or a device reading.
    public var nextDueTime: Int64? {
        switch (pending.min?.message.at, schedule.min?.time) {
        case let (a?, b?): min(a, b)
        case let (a?, nil): a
        case let (nil, b?): b
        case (nil, nil): nil
        }
    }

    /// The devices, with their current firmware and patient.
    public var devices: [SimulatedDevice] {
        states.map {
            SimulatedDevice(id: $0.id, family: $0.family, firmware: $0.firmware,
                            patient: patientModels[$0.patient].identity)
        }
    }

    /// The patients, including any admitted mid-run by a `deviceSwap` fault.
    public var patients: [SimulatedPatient] { patientModels.map(\.identity) }

    // MARK: - Internals

    private mutating func runTicks(through t: Int64) {
        while let tick = schedule.min, tick.time <= t {
            _ = schedule.pop()
            process(tick)
        }
    }

    private mutating func process(_ tick: ScheduledTick) {
        processDevice(tick.device, at: tick.time)
        schedule.push(ScheduledTick(time: tick.time + states[tick.device].period, device: tick.device))
    }

    mutating func enqueue(_ message: SimulatedMessage, device: Int?) {
        let kind = DeviceTopic(message.topic)?.kind ?? .vitals
        enqueue(message, family: device.map { states[$0].family }, kind: kind)
    }

    mutating func enqueue(_ message: SimulatedMessage, family: DeviceFamily?, kind: MessageKind) {
        serial += 1
        pending.push(PendingMessage(message: message, serial: serial, family: family, kind: kind))
    }

    private mutating func record(_ item: PendingMessage) {
        summary.messages += 1
        summary.payloadBytes += item.message.payload.count
        if let family = item.family {
            summary.byFamily[family, default: 0] += 1
        } else {
            summary.otherDevices += 1
        }
        switch item.kind {
        case .info: summary.info += 1
        case .pair: summary.pair += 1
        case .vitals: summary.vitals += 1
        case .waveform: summary.waveform += 1
        }
        if let fault = item.message.fault { summary.faultMessages[fault, default: 0] += 1 }
    }

    func info(_ device: Int, firmware: String, at time: Int64, fault: FaultKind?) -> SimulatedMessage {
        SimulatedMessage(topic: states[device].topics.info, payload: states[device].infoPayload(firmware: firmware),
                         qos: 1, retain: true, at: time, fault: fault)
    }

    /// `{"patient","bed","at"}` for the device's current patient.
    func pair(_ device: Int, at time: Int64, fault: FaultKind?) -> SimulatedMessage {
        let identity = patientModels[states[device].patient].identity
        var w = PayloadWriter(capacity: 72)
        w.string("patient", identity.identifier)
        w.string("bed", identity.bed)
        w.timestamp("at", time, milliseconds: false)
        return SimulatedMessage(topic: states[device].topics.pair, payload: w.finish(), qos: 1, retain: true,
                                at: time, fault: fault)
    }

    /// `{"patient":null,"at"}`.
    func detach(_ device: Int, at time: Int64, fault: FaultKind?) -> SimulatedMessage {
        var w = PayloadWriter(capacity: 48)
        w.null("patient")
        w.timestamp("at", time, milliseconds: false)
        return SimulatedMessage(topic: states[device].topics.pair, payload: w.finish(), qos: 1, retain: true,
                                at: time, fault: fault)
    }

    private func firmware(for family: DeviceFamily, patient index: Int) -> String {
        switch family {
        case .oxiPatch:
            SimulatorConfig.isSelected(patient: index, fraction: config.oxiPatchV2Fraction)
                ? Firmware.oxiPatchV2 : Firmware.oxiPatchV1
        case .cardioStrip: Firmware.cardioStrip
        case .thermaDot:
            SimulatorConfig.isSelected(patient: index, fraction: config.thermaDotFahrenheitFraction)
                ? Firmware.thermaDotFahrenheit : Firmware.thermaDotCelsius
        case .cuffPro: Firmware.cuffPro
        case .resPod: Firmware.resPod
        }
    }

    private func period(of family: DeviceFamily) -> Int64 {
        switch family {
        case .oxiPatch, .cardioStrip, .resPod: 1000
        case .thermaDot: Int64(config.thermaDotIntervalSeconds) * 1000
        case .cuffPro: Int64(config.cuffProIntervalSeconds) * 1000
        }
    }

    mutating func uniqueMRN(_ rng: inout SplitMix64) -> String {
        while true {
            var bytes = Array("MRN-".utf8)
            PayloadWriter.appendDigits(UInt64(rng.int(below: 100_000_000)), minimumDigits: 8, to: &bytes)
            let mrn = String(decoding: bytes, as: UTF8.self)
            if usedIDs.insert(mrn).inserted { return mrn }
        }
    }

    mutating func uniqueDeviceID(prefix: String, _ rng: inout SplitMix64) -> DeviceID {
        let hex = Array("0123456789ABCDEF".utf8)
        while true {
            var bytes = Array(prefix.utf8)
            bytes.append(UInt8(ascii: "-"))
            var value = rng.next()
            for _ in 0..<6 {
                bytes.append(hex[Int(value & 0xF)])
                value >>= 4
            }
            let text = String(decoding: bytes, as: UTF8.self)
            if usedIDs.insert(text).inserted, let id = DeviceID(text) { return id }
        }
    }
}
