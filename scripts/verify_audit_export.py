#!/usr/bin/env python3
"""Re-verify a KYConnect audit export (JSON Lines or CSV) without KYConnect.

usage: verify_audit_export.py EXPORT_FILE [--csv]
Exit 0 when the chain is intact, 1 when broken (the first invalid sequence is printed), 2 on usage.
The rules are in docs/audit-format.md.
"""
import csv
import hashlib
import json
import sys

GENESIS = "0" * 64
FIELDS = ["sequence", "id", "chain", "occurred_at", "firm_id", "actor_type", "actor_id", "action",
          "entity_type", "entity_id", "ip", "details", "prev_hash", "hash"]


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def events_from_jsonl(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def events_from_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        if header != FIELDS:
            raise SystemExit("unexpected CSV header: %s" % header)
        for row in reader:
            e = {k: (v if v != "" else None) for k, v in zip(FIELDS, row)}
            e["sequence"] = int(e["sequence"])
            e["details"] = json.loads(e["details"]) if e["details"] else {}
            yield e


def verify(events):
    prev_hash = None
    expected = None
    checked = 0
    for e in events:
        stored = e.pop("hash")
        seq = e["sequence"]
        if expected is None:  # a range export starts wherever it starts
            expected = seq
            prev_hash = GENESIS if seq == 1 else e["prev_hash"]
        if seq != expected:
            return False, expected, checked, "event %d missing" % expected
        if e["prev_hash"] != prev_hash:
            return False, seq, checked, "prev_hash does not link to event %d" % (seq - 1)
        if hashlib.sha256(canonical(e)).hexdigest() != stored:
            return False, seq, checked, "hash does not match contents"
        prev_hash = stored
        expected = seq + 1
        checked += 1
    return True, None, checked, prev_hash


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    path = argv[1]
    events = events_from_csv(path) if "--csv" in argv or path.endswith(".csv") else events_from_jsonl(path)
    ok, first_invalid, checked, info = verify(events)
    if ok:
        print("intact: %d events, head %s" % (checked, info))
        return 0
    print("BROKEN at sequence %d (%s); %d events verified before it" % (first_invalid, info, checked))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
