#!/usr/bin/env python3
"""WBAN telemetry simulator for the VitalGate anomaly-detection benchmark (stdlib + numpy).

Produces, for P patients over H hours, the MQTT message stream a gateway receives
(formats as in shared/devices/DEVICES.md) plus ground-truth anomaly labels.

    python3 wban_sim.py --seed S --patients P --hours H --out messages.jsonl[.gz] \
        --labels labels.jsonl [--variant public]

messages.jsonl: one line per delivered message, ordered by arrival time:
    {"t": arrival_ms, "topic": "wban/v1/<device_id>/<info|vitals|pair>", "payload": {...}}
The `info` and `pair` messages of every device come first (retained messages in the field).
Waveform messages are not produced.

labels.jsonl: one line per stream, then one line per anomaly event.
    {"stream": true, "patient": MRN, "devices": [ids], "start": ms, "end": ms}
    {"patient": MRN, "device": id|null, "category": "fault|clinical|security", "type": "...",
     "start": ms, "end": ms, "deadline_s": N, "channel": "..."}
Clinical events have device null (they concern the patient, not a device). Times are on the
arrival clock (the "t" of the messages), start inclusive, end exclusive.

Per patient: OxiPatch (fw 1.x for even patient numbers, 2.x for odd; 1 Hz), CardioStrip
(1 Hz vitals), ResPod (1 Hz), ThermaDot (fw 1.0 Fahrenheit for about a third of patients),
CuffPro (periodic NIBP). The first hour of every stream is free of events. Each 12-hour block
of a stream contains at most one event of each of the 13 types, at least 15 minutes apart.

Physiology: per-patient baselines + circadian rhythm + activity bouts + Ornstein-Uhlenbeck
noise; benign motion artefacts (SpO2 dips, lower signal quality, cuff "motion" status) during
activity are NOT anomalies. Benign transport behaviour that is NOT labelled and should not
raise alerts: network latency jitter, occasional late (out-of-order) messages, duplicates
re-delivered after a bridge reconnect, one BLE outage per patient per 12 h followed by a burst
of the buffered readings (original seq/ts), one device reboot per patient (seq restarts at 0,
info re-published), device clocks that drift and resync every 5 minutes, and, for some
devices, timestamps near 1970 during the first two minutes (before the first clock sync).

Event types (category, deadline seconds):
  fault:    flatline 300 (stuck device output), spike 30 (1-3 s or one reading; half of them
            physically impossible values), dropout 60 (probe off / lead off: OxiPatch "no
            signal", CardioStrip lead_off), drift 1800 (sensor drift on SpO2, temperature or
            systolic BP), implausible 120 (CuffPro systolic/diastolic swapped)
  clinical: deterioration 1800 (HR, RR, temperature up; SpO2, BP down over 1-2 h),
            desaturation 120, arrhythmia 120 (tachy- or bradycardia)
  security: spoof 600 (impostor publishes plausible synthetic values on a device topic),
            replay 600 (earlier values of the same device re-sent with fresh seq/ts),
            injection 120 (one field replaced with plausible alarming values), flood 30
            (extra messages per second on one device), timing 300 (k messages delivered
            together every k seconds)

The held-out test set is produced under secret seeds and with different realisations of every
event type.

VitalGate copy (tools/sim): identical to shared/tools/wban_sim.py with `--family public` (the
default: byte-identical streams and labels); `--family NAME` draws every event's realisation,
the patients' baselines and the event durations from one of the families in realise.py.
"""
import argparse
import datetime as _dt
import gzip
import json
import math
import sys

import numpy as np

import realise

T0 = 1763884800000          # 2025-11-23T08:00:00Z, stream start (arrival clock), ms
WARMUP = 3600               # first hour of every stream carries no events
GAP = 900                   # minimum clean time between two events of a patient (s)
BLOCK = 43200               # scheduling block: one event of each type per 12 h at most

EVENTS = {  # type: (category, duration range s, deadline s)
    'flatline':      ('fault',    (120, 900),    300),
    'spike':         ('fault',    (1, 3),         30),
    'dropout':       ('fault',    (30, 300),      60),
    'drift':         ('fault',    (1800, 5400), 1800),
    'implausible':   ('fault',    (300, 900),    120),
    'deterioration': ('clinical', (3600, 7200), 1800),
    'desaturation':  ('clinical', (120, 300),    120),
    'arrhythmia':    ('clinical', (60, 600),     120),
    'spoof':         ('security', (600, 2400),   600),
    'replay':        ('security', (600, 1800),   600),
    'injection':     ('security', (60, 300),     120),
    'flood':         ('security', (30, 300),      30),
    'timing':        ('security', (300, 1200),   300),
}
POSTURES = ['supine', 'prone', 'left', 'right', 'upright', 'unknown']
GRAV = {0: (0.0, 0.0, 1.0), 1: (0.0, 0.0, -1.0), 2: (-1.0, 0.0, 0.0), 3: (1.0, 0.0, 0.0),
        4: (0.0, 1.0, 0.0), 5: (0.0, 0.0, 1.0)}
CUFF_STATUS = ['ok', 'motion', 'cuff_leak', 'timeout']


def iso(ms):
    ms = int(ms)
    d = _dt.datetime.fromtimestamp(ms // 1000, _dt.timezone.utc)
    return d.strftime('%Y-%m-%dT%H:%M:%S.') + '%03dZ' % (ms % 1000)


def ar1(rng, n, tau, sd):
    """Ornstein-Uhlenbeck process sampled at 1 Hz (stationary start), vectorised in chunks."""
    a = math.exp(-1.0 / tau)
    e = rng.normal(0.0, sd * math.sqrt(1 - a * a), n)
    out = np.empty(n)
    prev = rng.normal(0.0, sd)
    L = max(1, int(30 * tau))            # a**-L stays below e**30
    for c0 in range(0, n, L):
        ec = e[c0:c0 + L]
        k = np.arange(len(ec))
        p = a ** k
        out[c0:c0 + L] = p * (a * prev + np.cumsum(ec / p))
        prev = out[c0 + len(ec) - 1]
    return out


def smooth(x, w):
    """causal first-order low-pass (time constant w samples)."""
    return ar1_filter(x, 1.0 - 1.0 / w, 1.0 / w)


def ar1_filter(x, a, b):
    out = np.empty(len(x))
    prev = 0.0
    L = max(1, int(30 / max(1e-9, -math.log(a))))
    for c0 in range(0, len(x), L):
        xc = x[c0:c0 + L] * b
        p = a ** np.arange(len(xc))
        out[c0:c0 + L] = p * (a * prev + np.cumsum(xc / p))
        prev = out[c0 + len(xc) - 1]
    return out


# ------------------------------------------------------------------------------ physiology
def physiology(rng, n, fam=None):
    t = np.arange(n)
    p = dict(hr0=float(np.clip(rng.normal(78, 10), 55, 105)), sp0=float(rng.uniform(95, 99)),
             rr0=float(np.clip(rng.normal(15, 2), 11, 20)), tp0=float(rng.normal(36.8, 0.2)),
             sbp0=float(np.clip(rng.normal(125, 12), 100, 165)))
    bout_gap, bout_len = 5400, (120, 900)
    if fam is not None:
        p, bout_gap, bout_len = realise.baselines(rng, fam)
    p['dbp0'] = p['sbp0'] * 0.62 + float(rng.normal(0, 4))
    circ = p.get('circ', 1.0) * np.sin(2 * np.pi * t / 86400 + rng.uniform(0, 2 * np.pi))
    act = np.zeros(n)
    k = 0
    while True:
        k += int(rng.exponential(bout_gap))
        if k >= n:
            break
        d = int(rng.uniform(*bout_len)); a = rng.uniform(0.3, 1.0)
        j = np.arange(d); ramp = np.clip(np.minimum(j / 60, (d - j) / 60), 0, 1)
        m = min(d, n - k)
        act[k:k + m] = np.maximum(act[k:k + m], (a * ramp)[:m])
        k += d
    x = {}
    g = p.get('noise', 1.0)     # a family may scale the physiological noise (1.0: the public draw)
    x['HR'] = p['hr0'] + 5 * circ + 28 * act + g * ar1(rng, n, 120, 3) + g * rng.normal(0, 1, n)
    x['RR'] = p['rr0'] + 1 * circ + 7 * act + g * ar1(rng, n, 180, 1.2) + g * rng.normal(0, 0.8, n)
    x['SPO2'] = p['sp0'] - 0.5 * act + g * ar1(rng, n, 300, 0.7) + g * rng.normal(0, 0.25, n)
    x['TEMP'] = p['tp0'] + 0.3 * circ + 0.3 * smooth(act, 600) + g * ar1(rng, n, 1800, 0.1)
    bp = g * ar1(rng, n, 600, 4)
    x['SBP'] = p['sbp0'] + 4 * circ + 18 * act + bp + g * rng.normal(0, 2, n)
    x['DBP'] = p['dbp0'] + 2 * circ + 6 * act + 0.5 * bp + g * ar1(rng, n, 600, 2)
    return x, act, p


def apply_clinical(rng, x, ev, fam=None):
    ty, s, e = ev['type'], ev['s'], ev['e']
    d = e - s
    if fam is not None and realise.clinical(rng, x, ev, fam):
        return
    if ty == 'deterioration':
        r = int(d * 2 / 3)
        prof = np.concatenate([np.linspace(0, 1, r), np.ones(d - r)])
        mag = dict(HR=rng.uniform(25, 45), RR=rng.uniform(6, 12), SPO2=-rng.uniform(3, 7),
                   SBP=-rng.uniform(20, 35), DBP=-rng.uniform(8, 15), TEMP=rng.uniform(1.0, 2.0))
        for c, m in mag.items():
            x[c][s:e] += m * prof
        ev['channel'] = 'multi'
    elif ty == 'desaturation':
        j = np.arange(d)
        ramp = 30
        prof = np.clip(np.minimum(j / ramp, (d - j) / ramp), 0, 1)
        x['SPO2'][s:e] -= rng.uniform(8, 14) * prof
        x['HR'][s:e] += 8 * prof
        ev['channel'] = 'spo2'
    elif ty == 'arrhythmia':
        u = rng.random()
        if u < 0.7:
            x['HR'][s:e] = rng.uniform(140, 170) + rng.normal(0, 2, d)
            ev['channel'] = 'hr:tachy'
        else:
            x['HR'][s:e] = rng.uniform(35, 42) + rng.normal(0, 1, d)
            ev['channel'] = 'hr:brady'


# ------------------------------------------------------------------------------ devices
class Device:
    def __init__(self, rng, model, fw, did, patient, n, period):
        self.model, self.fw, self.id, self.patient = model, fw, did, patient
        self.period = period
        phase = int(rng.integers(0, period * 1000))
        m = (n * 1000 - phase - 1) // (period * 1000) + 1
        self.tms = T0 + np.arange(m, dtype=np.int64) * period * 1000 + phase   # true measurement time
        self.idx = (self.tms - T0) // 1000                                     # its second
        self.seq = (np.arange(m, dtype=np.int64) + int(rng.integers(0, 50000))) % (2 ** 32)
        k = self.idx // 300
        nk = int(k.max()) + 1 if m else 1
        off0 = rng.normal(0, 40, nk)
        ppm = rng.uniform(-50, 50)
        self.ts = self.tms + np.round(off0[k] + ppm * 1e-6 * (self.idx % 300) * 1000).astype(np.int64)
        lat = 40 + rng.exponential(40, m)
        late = rng.random(m) < 0.003
        lat[late] += rng.uniform(1000, 4000, late.sum())
        self.arr = self.tms + lat.astype(np.int64)
        self.c = {}
        self.extra = []          # (arrival_ms, payload dict, kind)
        self.busy = []           # (s, e) seconds reserved by events (benign artefacts avoid them)

    def rows(self, s, e):
        return np.flatnonzero((self.idx >= s) & (self.idx < e))

    def payload(self, r):
        c = self.c
        seq = int(self.seq[r]); ts = int(self.ts[r])
        if self.model == 'OxiPatch':
            if self.fw.startswith('1.'):
                if c['nosig'][r]:
                    sp, pr = 127, 255
                else:
                    sp, pr = int(c['spo2'][r]), int(c['pr'][r])
                return {"seq": seq, "ts": ts, "spo2": sp, "pr": pr, "pi": round(float(c['pi'][r]), 1),
                        "batt": int(c['batt'][r])}
            if c['nosig'][r]:
                s_, p_ = {"v": None, "q": 0.0}, {"v": None, "q": 0.0}
            else:
                q = round(float(c['q'][r]), 2)
                s_ = {"v": int(c['spo2'][r]), "q": q}
                p_ = {"v": int(c['pr'][r]), "q": round(max(0.0, q - 0.02), 2)}
            return {"seq": seq, "t": iso(ts), "SpO2": s_, "PR": p_, "PI": round(float(c['pi'][r]), 1),
                    "battery": int(c['batt'][r])}
        if self.model == 'CardioStrip':
            if c['lead'][r]:
                return {"seq": seq, "ts": ts, "hr": 0, "rr_ms": [], "lead_off": True}
            return {"seq": seq, "ts": ts, "hr": int(c['hr'][r]), "rr_ms": [int(v) for v in c['rr'][r]],
                    "lead_off": False}
        if self.model == 'ResPod':
            return {"seq": seq, "ts": ts, "rr": int(c['rr'][r]), "posture": POSTURES[int(c['post'][r])],
                    "fall": False, "acc": [round(float(v), 2) for v in c['acc'][r]]}
        if self.model == 'ThermaDot':
            if self.fw == '1.0.0':
                return {"seq": seq, "ts": ts, "temp_f": round(float(c['temp'][r]) * 9 / 5 + 32, 1)}
            return {"seq": seq, "ts": ts, "temp_c": round(float(c['temp'][r]), 1), "site": self.site}
        if self.model == 'CuffPro':
            st = CUFF_STATUS[int(c['st'][r])]
            if st != 'ok':
                return {"seq": seq, "ts": ts, "status": st}
            return {"seq": seq, "ts": ts, "sys": int(c['sys'][r]), "dia": int(c['dia'][r]),
                    "map": int(c['map'][r]), "pr": int(c['pr'][r]), "status": "ok"}
        raise ValueError(self.model)


def rr_intervals(rng, hr):
    base = 60000.0 / np.maximum(hr, 20)[:, None]
    rng.random((len(hr), 3))             # unused draw, kept so that the generated data stay unchanged
    jit = 1 + rng.normal(0, 0.015, (len(hr), 3))
    return np.round(base * jit).astype(np.int32)


def build_devices(rng, pno, mrn, x, act, n, fam=None):
    hexid = lambda: '%06X' % int(rng.integers(0, 16 ** 6))
    devs = {}
    # OxiPatch
    fw = '1.4.2' if pno % 2 == 0 else '2.0.3'
    d = Device(rng, 'OxiPatch', fw, 'OXP-' + hexid(), mrn, n, 1)
    i = d.idx
    sp = x['SPO2'][i] + rng.normal(0, 0.3, len(i))
    pr = x['HR'][i] + rng.normal(0, 1.0, len(i))
    q = np.clip(0.97 + rng.normal(0, 0.015, len(i)), 0.85, 1.0)
    idx = np.flatnonzero(act[i] > 0.3)
    if fam is not None and 'artefacts' in fam:     # a family's own artefact rates (realise.py)
        realise.artefacts(rng, fam, act[i], sp, pr, q)
    elif len(idx):                        # benign motion artefacts (not labelled)
        for s in rng.choice(idx, size=rng.binomial(len(idx), 1 / 300), replace=False):
            dd = int(rng.uniform(5, 20))
            sp[s:s + dd] -= rng.uniform(2, 6)
            pr[s:s + dd] += rng.normal(0, 6, len(pr[s:s + dd]))
            q[s:s + dd] = rng.uniform(0.5, 0.8)
    d.c['spo2'] = np.minimum(100, np.round(sp))
    d.c['pr'] = np.round(pr)
    d.c['q'] = q
    pi0 = rng.uniform(1.0, 5.0)
    d.c['pi'] = np.clip(pi0 * np.exp(ar1(rng, len(i), 600, 0.15)), 0.2, 20)
    d.c['batt'] = np.clip(np.round(rng.uniform(70, 100) - i / 2700.0), 1, 100)
    d.c['nosig'] = np.zeros(len(i), bool)
    devs['OxiPatch'] = d
    # CardioStrip
    d = Device(rng, 'CardioStrip', '3.2.0', 'CDS-' + hexid(), mrn, n, 1)
    i = d.idx
    hr = x['HR'][i] + rng.normal(0, 0.5, len(i))
    d.c['hr'] = np.round(hr)
    d.c['rr'] = rr_intervals(rng, hr)
    d.c['lead'] = np.zeros(len(i), bool)
    devs['CardioStrip'] = d
    # ResPod
    d = Device(rng, 'ResPod', '2.3.1', 'RSP-' + hexid(), mrn, n, 1)
    i = d.idx
    d.c['rr'] = np.round(x['RR'][i])
    post = np.zeros(len(i), np.int8)
    k, cur = 0, 0
    while k < len(i):
        dd = int(rng.uniform(1800, 5400))
        post[k:k + dd] = cur
        cur = int(rng.choice([0, 2, 3, 0]))
        k += dd
    post[act[i] > 0.5] = 4
    d.c['post'] = post
    g = np.array([GRAV[int(v)] for v in range(6)])[post]
    d.c['acc'] = g + rng.normal(0, 0.02, (len(i), 3)) + (0.3 * act[i])[:, None] * rng.normal(0, 1, (len(i), 3))
    devs['ResPod'] = d
    # ThermaDot
    fw = '1.0.0' if rng.random() < 0.35 else '1.1.4'
    d = Device(rng, 'ThermaDot', fw, 'THD-' + hexid(), mrn, n, 60)
    d.site = 'axillary'
    d.c['temp'] = np.round(x['TEMP'][d.idx] + rng.normal(0, 0.03, len(d.idx)), 1)
    devs['ThermaDot'] = d
    # CuffPro
    d = Device(rng, 'CuffPro', '5.1.0', 'CUF-' + hexid(), mrn, n, 300)
    i = d.idx
    d.c['sys'] = np.round(x['SBP'][i] + rng.normal(0, 3, len(i)))
    d.c['dia'] = np.round(x['DBP'][i] + rng.normal(0, 2, len(i)))
    d.c['map'] = np.round(d.c['dia'] + (d.c['sys'] - d.c['dia']) / 3)
    d.c['pr'] = np.round(x['HR'][i] + rng.normal(0, 1.5, len(i)))
    st = np.zeros(len(i), np.int8)
    st[(act[i] > 0.3) & (rng.random(len(i)) < 0.4)] = 1
    bad = rng.random(len(i)) < 0.02
    st[bad] = rng.choice([2, 3], bad.sum())
    d.c['st'] = st
    devs['CuffPro'] = d
    # first clock sync: some devices report time since boot (near 1970) for the first 2 minutes
    for dv in devs.values():
        if rng.random() < 0.25:
            r = dv.rows(0, 120)
            dv.ts[r] = dv.tms[r] - T0 + int(rng.integers(1000, 60000))
    return devs


# ------------------------------------------------------------------------------ schedule
def schedule(rng, n, fam=None):
    evs = []
    for b0 in range(0, n, BLOCK):
        b1 = min(n, b0 + BLOCK)
        start = max(b0, WARMUP)
        types = list(EVENTS)
        rng.shuffle(types)
        durs = [int(rng.uniform(lo, hi + 1)) for lo, hi in (EVENTS[t][1] for t in types)]
        if fam is not None:
            durs = [realise.duration(rng, t, d0, fam) for t, d0 in zip(types, durs)]
        room = b1 - start - 600
        while types and sum(durs) + GAP * len(types) > room:
            types.pop(); durs.pop()
        if not types:
            continue
        slack = room - sum(durs) - GAP * len(types)
        gaps = rng.dirichlet(np.ones(len(types) + 1)) * slack
        t = start
        for ty, d, g in zip(types, durs, gaps[:-1]):
            t += int(g) + (GAP if t > start or b0 > 0 else 0)
            evs.append(dict(type=ty, cat=EVENTS[ty][0], s=t, e=t + d, dev=None, channel=None))
            t += d
    return evs


# ------------------------------------------------------------------------------ faults and attacks
VALS = {'OxiPatch': ['spo2', 'pr', 'pi', 'q', 'nosig'], 'CardioStrip': ['hr', 'rr', 'lead'],
        'ResPod': ['rr', 'post', 'acc'], 'ThermaDot': ['temp'], 'CuffPro': ['sys', 'dia', 'map', 'pr', 'st']}
PRIMARY = {'OxiPatch': 'spo2', 'CardioStrip': 'hr', 'ResPod': 'rr'}
ONE_HZ = ['OxiPatch', 'CardioStrip', 'ResPod']


def sparse_window(dev, s, e):
    """align an event on a sparse device (ThermaDot, CuffPro) to whole readings; returns rows, s, e"""
    r = dev.rows(s, e)
    if len(r) == 0:
        r = np.flatnonzero(dev.idx >= s)[:1]
    if len(r) == 0:
        r = np.array([len(dev.idx) - 1])
    s2 = int(dev.tms[r[0]] - T0) // 1000
    e2 = max(e, s2 + 1)
    r = dev.rows(s2, e2)
    return r, s2, e2


def drift_target(rng, devs, s, e):
    """the device, channel and rows of a drift event (sparse devices aligned to readings)"""
    fam = str(rng.choice(['ThermaDot', 'CuffPro', 'OxiPatch'])); dv = devs[fam]
    ch = dict(ThermaDot='temp', CuffPro='sys', OxiPatch='spo2')[fam]
    if fam == 'OxiPatch':
        r = np.arange(s, e)
    else:
        r, s, e = sparse_window(dv, s, e)
    return dv, ch, r, s, e


def apply_drift(dv, ch, r, delta):
    """adds a drift to rows r of channel ch (rounded as reported; SpO2 capped, MAP follows)"""
    dv.c[ch][r] = np.round(dv.c[ch][r] + delta, 1 if ch == 'temp' else 0)
    if ch == 'spo2':
        dv.c['spo2'][r] = np.minimum(100, dv.c['spo2'][r])
    if ch == 'sys':
        dv.c['map'][r] = np.round(dv.c['dia'][r] + (dv.c['sys'][r] - dv.c['dia'][r]) / 3)


def inject(rng, devs, ev, s, e, hr=(130, 150), spo2=(84, 88), spo2_sd=0.5):
    """one field replaced by plausible alarming values: ECG heart rate or oximeter SpO2"""
    d = e - s
    if rng.random() < 0.5:
        dv = devs['CardioStrip']
        dv.c['hr'][s:e] = np.round(rng.uniform(*hr) + rng.normal(0, 2, d))
        ev['channel'] = 'hr'
    else:
        dv = devs['OxiPatch']
        dv.c['spo2'][s:e] = np.round(rng.uniform(*spo2) + rng.normal(0, spo2_sd, d))
        dv.c['nosig'][s:e] = False
        ev['channel'] = 'spo2'
    return dv


def apply_device_event(rng, devs, ev, clean, fam=None):
    ty, s, e = ev['type'], ev['s'], ev['e']
    d = e - s
    if fam is not None:
        r = realise.device_event(rng, devs, ev, clean, fam)
        if r is not None:
            dv, s, e = r
            ev['dev'] = dv
            ev['s'], ev['e'] = s, e
            dv.busy.append((s, e))
            return
    if ty == 'flatline':
        fam = str(rng.choice(ONE_HZ)); dv = devs[fam]
        for c in VALS[fam]:
            if c == 'lead' or c == 'nosig':
                continue
            dv.c[c][s:e] = dv.c[c][s - 1]
        ev['channel'] = PRIMARY[fam]
    elif ty == 'spike':
        ch = str(rng.choice(['hr', 'spo2', 'rr', 'temp', 'sys']))
        fam = dict(hr='CardioStrip', spo2='OxiPatch', rr='ResPod', temp='ThermaDot', sys='CuffPro')[ch]
        dv = devs[fam]
        if fam in ONE_HZ:
            r = np.arange(s, e)
        else:
            r, s, e = sparse_window(dv, s, s + 1)
            r = r[:1]; e = s + 1
            if fam == 'CuffPro':
                dv.c['st'][r] = 0
        imp = rng.random() < 0.5
        implaus = dict(hr=[0, 255], spo2=[0, 115], rr=[0, 80], temp=[0.0, 45.0], sys=[0, 300])
        jump = dict(hr=rng.choice([-1, 1]) * rng.uniform(35, 50), spo2=-rng.uniform(10, 15),
                    rr=rng.uniform(12, 20), temp=rng.choice([-1, 1]) * rng.uniform(2, 4),
                    sys=rng.choice([-1, 1]) * rng.uniform(45, 60))
        if imp:
            dv.c[ch][r] = rng.choice(implaus[ch])
        else:
            dv.c[ch][r] = np.round(dv.c[ch][r] + jump[ch], 1 if ch == 'temp' else 0)
        if ch == 'spo2':
            dv.c['spo2'][r] = np.clip(dv.c['spo2'][r], 0, 115)
        ev['channel'] = ch + (':impossible' if imp else ':jump')
    elif ty == 'dropout':
        fam = str(rng.choice(['OxiPatch', 'CardioStrip'])); dv = devs[fam]
        dv.c['nosig' if fam == 'OxiPatch' else 'lead'][s:e] = True
        ev['channel'] = 'spo2' if fam == 'OxiPatch' else 'hr'
    elif ty == 'drift':
        dv, ch, r, s, e = drift_target(rng, devs, s, e)
        mag = dict(temp=rng.uniform(1.0, 1.5), sys=-rng.uniform(20, 30), spo2=-rng.uniform(3, 5))[ch]
        prof = (dv.idx[r] - s) / max(1, e - s)
        ev['channel'] = ch + ':linear'
        apply_drift(dv, ch, r, mag * prof)
    elif ty == 'implausible':
        dv = devs['CuffPro']
        r, s, e = sparse_window(dv, s, e)
        dv.c['st'][r[:1]] = 0
        ok = r[dv.c['st'][r] == 0]
        a = dv.c['sys'][ok].copy(); dv.c['sys'][ok] = dv.c['dia'][ok]; dv.c['dia'][ok] = a
        ev['channel'] = 'sys/dia'
    elif ty == 'spoof':
        fam = str(rng.choice(ONE_HZ)); dv = devs[fam]
        lo = max(0, s - 3600)
        if fam == 'OxiPatch':
            dv.c['spo2'][s:e] = np.minimum(100, np.round(np.median(dv.c['spo2'][lo:s]) + rng.normal(0, 0.6, d)))
            hr = np.median(dv.c['pr'][lo:s]) + rng.normal(0, 2.0, d)
            dv.c['pr'][s:e] = np.round(hr)
            dv.c['q'][s:e] = np.clip(0.97 + rng.normal(0, 0.01, d), 0.85, 1.0)
            dv.c['nosig'][s:e] = False
        elif fam == 'CardioStrip':
            hr = np.median(dv.c['hr'][lo:s]) + rng.normal(0, 2.0, d)
            dv.c['hr'][s:e] = np.round(hr)
            dv.c['rr'][s:e] = np.round(np.median(dv.c['rr'][lo:s]) + rng.normal(0, 20, (d, 3)))
            dv.c['lead'][s:e] = False
        else:
            dv.c['rr'][s:e] = np.round(np.median(dv.c['rr'][lo:s]) + rng.normal(0, 1.0, d))
            g = np.median(dv.c['acc'][lo:s], axis=0)
            dv.c['acc'][s:e] = g + rng.normal(0, 0.02, (d, 3))
        ev['channel'] = PRIMARY[fam]
    elif ty == 'replay':
        fam = str(rng.choice(ONE_HZ)); dv = devs[fam]
        src = int(rng.uniform(0, max(1, s - d - 600)))
        srcidx = np.minimum(src + np.arange(d), s - 1)
        for c in VALS[fam]:
            dv.c[c][s:e] = clean[fam][c][srcidx]
        if fam == 'OxiPatch':
            dv.c['batt'][s:e] = clean[fam]['batt'][srcidx]
        ev['channel'] = PRIMARY[fam]
        ev['src'] = src
    elif ty == 'injection':
        dv = inject(rng, devs, ev, s, e)
    elif ty == 'flood':
        fam = str(rng.choice(ONE_HZ)); dv = devs[fam]
        for r in range(s, e):
            k = int(rng.integers(20, 201))
            base = dv.payload(r)
            for j in range(k):
                p = dict(base)
                dv.extra.append((int(T0 + r * 1000 + rng.integers(0, 1000)), p, 'flood'))
        ev['channel'] = 'transport'
    elif ty == 'timing':
        fam = str(rng.choice(ONE_HZ))
        dv = devs[fam]
        k = int(rng.integers(5, 11))
        r = dv.rows(s, e)
        pos = 0
        while pos < len(r):
            b = r[pos:pos + k]
            last = int(dv.tms[b[-1]])
            dv.arr[b] = last + 40 + np.arange(len(b)) * 2 + int(rng.integers(0, 40))
            pos += k
        ev['channel'] = 'transport'
        dv.busy.append((s, e))
        ev['dev'] = dv
        return
    ev['dev'] = dv
    ev['s'], ev['e'] = s, e
    dv.busy.append((s, e))


def free_time(rng, dv, n, length, margin=600):
    for _ in range(200):
        t = int(rng.uniform(WARMUP // 2, n - length - 10))
        if all(t + length + margin <= s or t >= e + margin for s, e in dv.busy):
            return t
    return None


def benign_transport(rng, devs, n):
    hours = n / 3600
    for dv in devs.values():                        # duplicates after a bridge reconnect
        for _ in range(rng.poisson(3 * hours / 24)):
            t = free_time(rng, dv, n, 30)
            if t is None:
                continue
            r = dv.rows(t - 10 * dv.period, t)[-int(rng.integers(1, 11)):]
            if len(r) == 0:
                continue
            at = int(dv.arr[r[-1]]) + int(rng.integers(200, 2000))
            for j, rr in enumerate(r):
                dv.extra.append((at + j, dv.payload(rr), 'dup'))
    for _ in range(max(1, int(round(hours / 12)))):  # BLE outage, buffered burst afterwards
        dv = devs[str(rng.choice(ONE_HZ))]
        g = int(rng.uniform(20, 120))
        t = free_time(rng, dv, n, g)
        if t is None:
            continue
        r = dv.rows(t, t + g)
        dv.arr[r] = T0 + (t + g) * 1000 + 300 + np.arange(len(r)) * 3
        dv.busy.append((t, t + g))
    dv = devs[str(rng.choice(list(devs)))]          # one device reboot: seq restarts at 0
    t = free_time(rng, dv, n, 60)
    if t is not None:
        r = dv.rows(t, n + 1)
        if len(r):
            dv.seq[r] = np.arange(len(r)) % (2 ** 32)
            dv.extra.append((int(dv.arr[r[0]]) - 5, None, 'info'))
            dv.busy.append((t, t + 60))


# ------------------------------------------------------------------------------ main
def simulate(seed, patients, hours, family='public'):
    fam = None if family == 'public' else realise.FAMILIES[family]
    rng = np.random.default_rng([seed, 0] if fam is None else [seed, 0, 0, fam['id']])
    n = int(round(hours * 3600))
    allde, labels = [], []
    for pno in range(patients):
        prng = np.random.default_rng([seed, 0, pno + 1] if fam is None else [seed, 0, pno + 1, fam['id']])
        mrn = 'MRN-%08d' % int(rng.integers(10 ** 7, 10 ** 8))
        x, act, _ = physiology(prng, n, fam)
        evs = schedule(prng, n, fam)
        for ev in evs:
            if ev['cat'] == 'clinical':
                apply_clinical(prng, x, ev, fam)
        devs = build_devices(prng, pno, mrn, x, act, n, fam)
        clean = {f: {c: v.copy() for c, v in dv.c.items()} for f, dv in devs.items()}
        for ev in evs:
            if ev['cat'] != 'clinical':
                apply_device_event(prng, devs, ev, clean, fam)
        benign_transport(prng, devs, n)
        bed = 'ICU-%d' % (pno + 1)
        dl = list(devs.values())
        labels.append({"stream": True, "patient": mrn, "devices": [d.id for d in dl],
                       "start": T0, "end": T0 + n * 1000})
        for ev in evs:
            labels.append({"patient": mrn, "device": ev['dev'].id if ev['dev'] is not None else None,
                           "category": ev['cat'], "type": ev['type'], "start": T0 + ev['s'] * 1000,
                           "end": T0 + ev['e'] * 1000, "deadline_s": EVENTS[ev['type']][2],
                           "channel": ev['channel']})
        for d in dl:
            d.bed = bed
        allde.extend(dl)
    return allde, labels


def write_stream(devs, path):
    op = gzip.open if path.endswith('.gz') else open
    dumps = lambda o: json.dumps(o, separators=(',', ':'))
    arr, di, ri = [], [], []
    for k, d in enumerate(devs):
        m = len(d.arr)
        arr.append(d.arr); di.append(np.full(m, k, np.int32)); ri.append(np.arange(m, dtype=np.int64))
        if d.extra:
            arr.append(np.array([x[0] for x in d.extra], np.int64))
            di.append(np.full(len(d.extra), k, np.int32))
            ri.append(-1 - np.arange(len(d.extra), dtype=np.int64))
    arr = np.concatenate(arr); di = np.concatenate(di); ri = np.concatenate(ri)
    order = np.lexsort((ri, di, arr))
    count = 0
    with op(path, 'wt') as f:
        for d in devs:
            f.write(dumps({"t": T0, "topic": "wban/v1/%s/info" % d.id,
                           "payload": {"model": d.model, "fw": d.fw, "serial": d.id}}) + '\n')
            f.write(dumps({"t": T0, "topic": "wban/v1/%s/pair" % d.id,
                           "payload": {"patient": d.patient, "bed": d.bed, "at": iso(T0 - 60000)}}) + '\n')
            count += 2
        buf = []
        for o in order:
            d = devs[di[o]]; r = int(ri[o])
            if r >= 0:
                topic, p = 'vitals', d.payload(r)
            else:
                _, p, kind = d.extra[-1 - r]
                if kind == 'info':
                    topic, p = 'info', {"model": d.model, "fw": d.fw, "serial": d.id}
                else:
                    topic = 'vitals'
            buf.append('{"t":%d,"topic":"wban/v1/%s/%s","payload":%s}\n' % (int(arr[o]), d.id, topic, dumps(p)))
            if len(buf) >= 20000:
                f.write(''.join(buf)); buf = []
                count += 20000
        f.write(''.join(buf)); count += len(buf)
    return count


realise.bind(sys.modules[__name__])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--seed', type=int, required=True)
    ap.add_argument('--patients', type=int, default=8)
    ap.add_argument('--hours', type=float, default=12)
    ap.add_argument('--out', required=True, help='messages JSONL (.gz to compress)')
    ap.add_argument('--labels', required=True, help='labels JSONL')
    ap.add_argument('--variant', choices=['public'], default='public',
                    help='accepted for compatibility; public is the only variant')
    ap.add_argument('--family', choices=['public'] + sorted(realise.FAMILIES), default='public',
                    help='realisation family (realise.py); public = the shared simulator, byte-identical')
    a = ap.parse_args(argv)
    devs, labels = simulate(a.seed, a.patients, a.hours, a.family)
    nmsg = write_stream(devs, a.out)
    with open(a.labels, 'w') as f:
        for l in labels:
            f.write(json.dumps(l, separators=(',', ':')) + '\n')
    nev = sum(1 for l in labels if not l.get('stream'))
    print('wrote %d messages to %s, %d events for %d patients to %s'
          % (nmsg, a.out, nev, a.patients, a.labels), file=sys.stderr)


if __name__ == '__main__':
    main()
