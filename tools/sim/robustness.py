#!/usr/bin/env python3
"""Robustness protocol for VitalGate's anomaly detection (issue 23; stdlib + numpy).

For each (family, seed): generate a set with wban_sim.py (cached in the scratch directory),
replay it through `vitalgate detect`, score it with score_alerts.py, then pool the events of
all sets of a family: timely recall overall, per category and per event type, false alarms per
patient-hour, deterioration latency, and the realisations that were missed.

    python3 tools/sim/robustness.py --family A --family B --family C --family D --family E --family F --family G --family H --seeds 11 12   # tuning
    python3 tools/sim/robustness.py --family I --family J --seeds 11 12          # held out: score only
    python3 tools/sim/robustness.py --dev                                         # the public dev set

Families (realise.py): A-H are for tuning (C and D were held out in round 1, E and F in round 2,
G and H in round 3, and have been seen since); I, J are held out (committed before round 4's
first detector change: never change a detector because of what they show, never look at their
missed events or false alarms, and report them as held out only while that stays true). `public` is the shared simulator itself
(fresh seeds of the public realisations).

Options: --vitalgate BIN (default: .build/release/vitalgate of this checkout, else `vitalgate`
on PATH), --scratch DIR (default ${TMPDIR:-/tmp}/vitalgate-robustness), --patients 8,
--hours 12, --json FILE (pooled results), --missed (list every missed event's realisation),
--false-alarms (count false alarms by alert kind and by patient),
--candidates (also keep every finding for calibrate.py), --tag NAME (prefix of the output files).
Runs from any directory.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import score_alerts  # noqa: E402

DEV = os.environ.get('VITALGATE_DEV_SET', os.path.join(os.path.dirname(REPO), 'shared', 'data', 'anomaly', 'dev'))
CATS = ('fault', 'clinical', 'security')


def vitalgate_binary(arg):
    if arg:
        return os.path.abspath(arg)
    local = os.path.join(REPO, '.build', 'release', 'vitalgate')
    if os.access(local, os.X_OK):
        return local
    found = shutil.which('vitalgate')
    if not found:
        sys.exit('no vitalgate binary: build it (swift build -c release --product vitalgate) or pass --vitalgate')
    return found


def generate(family, seed, patients, hours, scratch):
    base = os.path.join(scratch, '%s-s%d-p%d-h%g' % (family, seed, patients, hours))
    msgs, labels = base + '.jsonl.gz', base + '-labels.jsonl'
    if not (os.path.exists(msgs) and os.path.exists(labels)):
        subprocess.run([sys.executable, os.path.join(HERE, 'wban_sim.py'), '--seed', str(seed),
                        '--patients', str(patients), '--hours', str(hours), '--family', family,
                        '--out', base + '.part.jsonl.gz', '--labels', base + '.part-labels.jsonl'], check=True)
        os.replace(base + '.part.jsonl.gz', msgs)
        os.replace(base + '.part-labels.jsonl', labels)
    return msgs, labels


def replay(binary, msgs, alerts, candidates=None):
    extra = ['--candidates', candidates] if candidates else []
    subprocess.run([binary, 'detect', '--replay', msgs, '--alerts', alerts] + extra, check=True,
                   stdout=subprocess.DEVNULL)


def evaluate_set(binary, name, msgs, labels, scratch, candidates=False):
    alerts = os.path.join(scratch, name + '-alerts.jsonl')
    replay(binary, msgs, alerts, os.path.join(scratch, name + '-candidates.jsonl') if candidates else None)
    streams, events = score_alerts.load_labels(labels)
    by = score_alerts.attribute(score_alerts.load_jsonl(alerts), streams)
    r = score_alerts.evaluate(streams, events, by)
    # per-event outcomes for pooling (evaluate() keeps only aggregates): recompute hits
    hits = []
    for e in events:
        if e['start'] < streams[e['patient']]['start'] + score_alerts.PROBATION_MS:
            continue
        lo, hi = e['start'], e['start'] + e['deadline_s'] * 1000
        ts = [t for t, a in by.get(e['patient'], []) if lo <= t <= hi]
        ts += [t for lst in by.values() for t, a in lst if a.get('device') == e.get('device') and e.get('device')
               and lo <= t <= hi]
        hits.append(dict(type=e['type'], category=e['category'], channel=e.get('channel'),
                         hit=bool(ts), latency_s=(min(ts) - lo) / 1000 if ts else None, set=name))
    return r, dict(hits=hits, false=false_alarm_kinds(streams, events, by, name))


def false_alarm_kinds(streams, events, by, name):
    """The scorer's false alarms (alarm pieces touching no event window of their patient), each
    with the kinds of the alerts in it: [(set, kinds)]."""
    wins = {}
    for e in events:
        if e['start'] >= streams[e['patient']]['start'] + score_alerts.PROBATION_MS:
            wins.setdefault(e['patient'], []).append((e['start'], e['end'] + score_alerts.TOL_MS))
    out = []
    for key, lst in by.items():
        for p0, p1 in score_alerts.alarm_pieces([t for t, _ in lst]):
            if not any(p0 <= we and p1 >= ws for ws, we in wins.get(key, [])):
                kinds = sorted({a.get('kind') for t, a in lst if p0 <= t <= p1})
                out.append(dict(set=name, patient=key, kinds='+'.join(map(str, kinds))))
    return out


def pool(results):
    """results: list of (summary, hits) of one family -> pooled figures."""
    hits = [h for _, hs in results for h in hs['hits']]
    fa = sum(r['false_alarms'] for r, _ in results)
    hours = sum(r['patient_hours'] for r, _ in results)
    out = dict(sets=len(results), events=len(hits), detected=sum(h['hit'] for h in hits),
               false_alarms=fa, patient_hours=hours, fa_per_patient_hour=fa / hours if hours else 0.0)
    out['recall'] = out['detected'] / len(hits) if hits else 0.0
    out['per_category'] = {c: _rate([h for h in hits if h['category'] == c]) for c in CATS}
    out['per_type'] = {t: _rate([h for h in hits if h['type'] == t]) for t in sorted({h['type'] for h in hits})}
    out['false_alarm_kinds'] = _count([f['kinds'] for _, hs in results for f in hs['false']])
    out['false_alarm_patients'] = _count(['%s %s' % (f['set'], f['patient']) for _, hs in results for f in hs['false']])
    out['missed'] = [dict(set=h['set'], type=h['type'], channel=h['channel']) for h in hits if not h['hit']]
    return out


def _count(keys):
    c = {}
    for k in keys:
        c[k] = c.get(k, 0) + 1
    return dict(sorted(c.items(), key=lambda kv: -kv[1]))


def _rate(hs):
    found = [h['latency_s'] for h in hs if h['hit']]
    return dict(n=len(hs), detected=len(found), recall=len(found) / len(hs) if hs else 0.0,
                median_latency_s=statistics.median(found) if found else None)


def print_pooled(name, p, missed, false_alarms=False):
    print('\n== %s: %d set(s), %d events, %.1f patient-hours' % (name, p['sets'], p['events'], p['patient_hours']))
    print('timely recall %.3f (%d/%d); false alarms %d = %.3f / pt-h'
          % (p['recall'], p['detected'], p['events'], p['false_alarms'], p['fa_per_patient_hour']))
    print('  '.join('%s %.3f' % (c, p['per_category'][c]['recall']) for c in CATS))
    for t, v in p['per_type'].items():
        lat = v['median_latency_s']
        print('  %-14s %3d/%-3d %.3f  median latency %s' % (t, v['detected'], v['n'], v['recall'],
                                                          '-' if lat is None else '%.0f s' % lat))
    if false_alarms:
        for k, n in p['false_alarm_kinds'].items():
            print('  false alarms %3d  %s' % (n, k))
        for k, n in p['false_alarm_patients'].items():
            print('  false alarms %3d  patient %s' % (n, k))
    if missed:
        for m in p['missed']:
            print('  missed %-10s %-14s %s' % (m['set'], m['type'], m['channel']))


def main(argv=None):
    ap = argparse.ArgumentParser(description='Robustness protocol: generate, replay and score families of realisations.')
    ap.add_argument('--family', action='append', default=[], help='realisation family (repeatable): A-J or public')
    ap.add_argument('--seeds', type=int, nargs='*', default=[11])
    ap.add_argument('--dev', action='store_true', help='also score the public dev set')
    ap.add_argument('--patients', type=int, default=8)
    ap.add_argument('--hours', type=float, default=12)
    ap.add_argument('--vitalgate')
    ap.add_argument('--scratch', default=os.path.join(os.environ.get('TMPDIR', '/tmp'), 'vitalgate-robustness'))
    ap.add_argument('--tag', default='run', help='prefix of the alert files (compare builds side by side)')
    ap.add_argument('--json')
    ap.add_argument('--missed', action='store_true')
    ap.add_argument('--false-alarms', action='store_true',
                    help='list false alarms by alert kind and by patient (never for held-out families)')
    ap.add_argument('--candidates', action='store_true',
                    help='also write every finding (TAG-SET-candidates.jsonl) for calibrate.py')
    a = ap.parse_args(argv)
    binary = vitalgate_binary(a.vitalgate)
    os.makedirs(a.scratch, exist_ok=True)
    pooled = {}
    if a.dev:
        r = evaluate_set(binary, a.tag + '-dev', os.path.join(DEV, 'messages.jsonl.gz'),
                         os.path.join(DEV, 'labels.jsonl'), a.scratch, a.candidates)
        pooled['dev'] = pool([r])
        print_pooled('dev', pooled['dev'], a.missed, a.false_alarms)
    for fam in a.family:
        results = []
        for seed in a.seeds:
            msgs, labels = generate(fam, seed, a.patients, a.hours, a.scratch)
            results.append(evaluate_set(binary, '%s-%s-s%d' % (a.tag, fam, seed), msgs, labels, a.scratch,
                                        a.candidates))
        pooled[fam] = pool(results)
        print_pooled('family %s (seeds %s)' % (fam, ' '.join(map(str, a.seeds))), pooled[fam], a.missed, a.false_alarms)
    if a.json:
        with open(a.json, 'w') as f:
            json.dump(pooled, f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
