#!/usr/bin/env python3
"""Per-kind threshold calibration for VitalGate's detection (issue 23; stdlib only).

Replay the tuning sets writing every finding before the alert gate, with its score:

    vitalgate detect --replay SET.jsonl.gz --alerts SET-alerts.jsonl --candidates SET-candidates.jsonl

then, for each calibrated kind, find the lowest threshold at which that kind's false alarms on
those sets stay within its allocation of the false-alarm budget:

    python3 tools/sim/calibrate.py LABELS CANDIDATES [LABELS CANDIDATES ...] [--global 0.92]

The alert gate is re-run here per kind and threshold (repeat interval 10 min; episodic kinds
alert once per episode, an episode ending after 5 min without a finding), so the figures are
those the agent would produce with that threshold. A false alarm of a kind: its alerts of one
patient merged like the scorer's alarms (gaps <= 60 s), touching no event window
[start, end + 120 s] of that patient. Prints, per kind, false alarms per patient-hour and the
target events found in time at several thresholds, the chosen threshold (within the allocation: the
most target events in time, then the shortest median latency, then the fewest false alarms) and
its offset from the global threshold (DetectionConfig.calibratedOffsets); kinds that are not calibrated are listed
with their rate at the global threshold. Never run this on sets that are reported as held out.
"""
import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import score_alerts  # noqa: E402

# Allocation of the 0.1 false alarms / patient-hour budget to the calibrated kinds (the rest of
# the detectors used ~0.02 on the tuning sets; what is left is margin for data not tuned on).
ALLOCATION = {
    'deterioration': 0.020,
    'drift_body_temperature': 0.008,
    'drift_spo2': 0.006,
    'drift_systolic_pressure': 0.006,
}
# Events a kind is meant to find (for the recall column only).
TARGETS = {'deterioration': {'deterioration'}, 'drift_body_temperature': {'drift'}, 'drift_spo2': {'drift'},
           'drift_systolic_pressure': {'drift'}}


EPISODIC = ('deterioration', 'drift_', 'pulse_sources_disagree')
REPEAT_MS = 600_000
EPISODE_CLEAR_MS = 300_000


def load_sets(pairs):
    sets = []
    for labels, candidates in pairs:
        streams, events = score_alerts.load_labels(labels)
        dev2pat = {d: p for p, st in streams.items() for d in st.get('devices', [])}
        by_kind = {}
        for c in score_alerts.load_jsonl(candidates):
            by_kind.setdefault(c.get('kind'), []).append(c)
        for v in by_kind.values():
            v.sort(key=lambda c: c['t'])
        sets.append((streams, events, by_kind, dev2pat))
    return sets


def gate(candidates, threshold):
    """The alert gate of one kind at one threshold -> admitted candidates."""
    last, seen, out = {}, {}, []
    for c in candidates:
        if c.get('score', 1) < threshold:
            continue
        key = c.get('device') or c.get('patient')
        if c['kind'].startswith(EPISODIC):
            previous = seen.get(key)
            seen[key] = c['t']
            if previous is not None and c['t'] - previous < EPISODE_CLEAR_MS:
                continue
        if key in last and c['t'] - last[key] < REPEAT_MS:
            continue
        last[key] = c['t']
        out.append(c)
    return out


def kind_figures(sets, kind, threshold):
    fa = found = total = 0
    latencies = []
    hours = 0.0
    for streams, events, by_kind, dev2pat in sets:
        hours += sum((s['end'] - s['start'] - score_alerts.PROBATION_MS) / 3_600_000 for s in streams.values())
        by = score_alerts.attribute(gate(by_kind.get(kind, []), threshold), streams)
        for patient, lst in by.items():
            wins = [(e['start'], e['end'] + score_alerts.TOL_MS) for e in events if e['patient'] == patient]
            for p0, p1 in score_alerts.alarm_pieces([t for t, _ in lst]):
                if not any(p0 <= we and p1 >= ws for ws, we in wins):
                    fa += 1
        for e in events:
            if e['type'] not in TARGETS.get(kind, ()) or e['patient'] not in streams:
                continue
            total += 1
            lo, hi = e['start'], e['start'] + e['deadline_s'] * 1000
            hits = [t for t, _ in by.get(e['patient'], []) if lo <= t <= hi]
            if hits:
                found += 1
                latencies.append((min(hits) - lo) / 1000)
    kind_figures.latency = statistics.median(latencies) if latencies else None
    return fa, fa / hours if hours else 0.0, found, total


def main(argv=None):
    ap = argparse.ArgumentParser(description='Calibrate per-kind alert thresholds to a false-alarm allocation.')
    ap.add_argument('files', nargs='+', help='LABELS CANDIDATES pairs (vitalgate detect --candidates)')
    ap.add_argument('--global', dest='global_threshold', type=float, default=0.92)
    a = ap.parse_args(argv)
    if len(a.files) % 2:
        sys.exit('give LABELS CANDIDATES pairs')
    sets = load_sets(list(zip(a.files[0::2], a.files[1::2])))
    grid = [round(0.30 + 0.01 * k, 2) for k in range(70)]
    offsets = {}
    for kind, allowed in ALLOCATION.items():
        print('\n%s (allocation %.3f false alarms / patient-hour)' % (kind, allowed))
        rows = []
        for th in grid:
            fa, rate, found, total = kind_figures(sets, kind, th)
            rows.append((th, fa, rate, found, total, kind_figures.latency))
        # within the allocation: most target events in time, then the shortest median latency,
        # then the fewest false alarms (a lower threshold that buys nothing is not taken)
        allowed_rows = [r for r in rows if r[2] <= allowed] or [rows[-1]]
        best = max(allowed_rows, key=lambda r: (r[3], -(r[5] if r[5] is not None else 1e9), -r[1], r[0]))
        for th, fa, rate, found, total, lat in rows:
            if th in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.92, 0.95, 0.99) or th == best[0]:
                print('  threshold %.2f: %3d false alarms (%.4f / pt-h), %d/%d target events in time, median latency %s'
                      % (th, fa, rate, found, total, '-' if lat is None else '%.0f s' % lat))
        offsets[kind] = round(best[0] - a.global_threshold, 2)
        print('  -> threshold %.2f, offset %+.2f' % (best[0], offsets[kind]))
    others = sorted({k for _, _, by_kind, _ in sets for k in by_kind if k} - set(ALLOCATION))
    print('\nother kinds at the global threshold %.2f (false alarms / patient-hour):' % a.global_threshold)
    for kind in others:
        fa, rate, _, _ = kind_figures(sets, kind, a.global_threshold)
        if fa:
            print('  %-32s %3d  %.4f' % (kind, fa, rate))
    print('\ncalibratedOffsets: [%s]' % ', '.join('"%s": %.2f' % kv for kv in sorted(offsets.items())))
    return 0


if __name__ == '__main__':
    sys.exit(main())
