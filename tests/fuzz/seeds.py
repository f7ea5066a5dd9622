#!/usr/bin/env python3
"""Writes the seed corpus of one fuzz target into OUT_DIR, from small slices of the real files in
../shared/data (never copied into the repository) and the shipped mappings.

usage: seeds.py TARGET SHARED_DIR SOURCE_DIR OUT_DIR
"""
import glob
import json
import os
import sys

target, shared, source, out = sys.argv[1:5]
data = os.path.join(shared, "data")
os.makedirs(out, exist_ok=True)
count = 0


def read(rel):
    with open(os.path.join(data, rel), "rb") as f:
        return f.read()


def seed(content):
    global count
    count += 1
    with open(os.path.join(out, "seed-%03d" % count), "wb") as f:
        f.write(content)


def head_lines(content, n):
    return b"".join(content.splitlines(keepends=True)[:n])


def lines(rel, n=40):
    return head_lines(read(rel), n)


def xml_slice(rel, record_end, closing, records=3):
    """The document up to the end of its first few records, closed again."""
    content = read(rel)
    at = 0
    for _ in range(records):
        found = content.find(record_end, at)
        if found < 0:
            return content
        at = found + len(record_end)
    return content[:at] + b"\n" + closing


XML = {
    "fuzz_un_xml": ("sanctions/un_consolidated_xml/2026-02-27/UN_consolidated.xml", [
        (b"</INDIVIDUAL>", b"</INDIVIDUALS>\n</CONSOLIDATED_LIST>\n")]),
    "fuzz_eu_fsf_xml": (glob.glob(os.path.join(data, "sanctions/eu_fsf_xml/*/*.xml")), [(b"</sanctionEntity>", b"</export>\n")]),
    "fuzz_uk_xml": (glob.glob(os.path.join(data, "sanctions/uk_sanctions_list_xml/*/*.xml")), [(b"</Designation>", b"</Designations>\n")]),
}

if target in XML:
    files, cuts = XML[target]
    for rel in files if isinstance(files, list) else [files]:
        for end, closing in cuts:
            for n in (1, 3):
                seed(xml_slice(os.path.relpath(rel, data) if os.path.isabs(rel) else rel, end, closing, n))
elif target in ("fuzz_ofac_sdn_csv", "fuzz_ofac_cons_csv"):
    sets = ["sanctions/ofac_sdn_csv/2021-07-07_full_set", "sanctions/ofac_sdn_csv/fixture_2025-05_watchman_ofactest"] \
        if target == "fuzz_ofac_sdn_csv" else ["sanctions/ofac_cons_csv/2025-12-19"]
    names = ["sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv"] if target == "fuzz_ofac_sdn_csv" \
        else ["cons_prim.csv", "cons_add.csv", "cons_alt.csv", "cons_comments.csv"]
    for s in sets:
        parts = [lines(os.path.join(s, n), 30) if os.path.exists(os.path.join(data, s, n)) else b"" for n in names]
        seed(parts[0])
        seed(b"\n#FILE\n".join(parts))
    seed(lines("sanctions/ofac_sdn_csv/2024-05-03_full/sdn.csv", 60))
elif target == "fuzz_bis_dpl_txt":
    for rel in glob.glob(os.path.join(data, "sanctions/us_bis_dpl_txt/*/dpl.txt")):
        seed(head_lines(open(rel, "rb").read(), 30))
elif target == "fuzz_csl_csv":
    for rel in glob.glob(os.path.join(data, "sanctions/us_csl_csv/*/*.csv")):
        seed(head_lines(open(rel, "rb").read(), 20))
elif target == "fuzz_ftm_json":
    for rel in glob.glob(os.path.join(data, "*/*/*.ftm.json")) + glob.glob(os.path.join(data, "*/*/*/*.ftm.json")):
        seed(head_lines(open(rel, "rb").read(), 20))
elif target == "fuzz_tabular":
    ids = sorted(os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(source, "resources/screening/sources/*.json")))
    for i, sid in enumerate(ids):
        mapping = json.load(open(os.path.join(source, "resources/screening/sources", sid + ".json")))
        files = mapping.get("defaultFiles", [])
        if not files or not os.path.exists(os.path.join(data, files[0])):
            continue
        content = read(files[0])
        slice_ = content if len(content) < 16384 else head_lines(content, 40 if mapping.get("format") != "yaml" else 120)
        seed(bytes([i]) + slice_)
elif target == "fuzz_tabular_mapping":
    for p in sorted(glob.glob(os.path.join(source, "resources/screening/sources/*.json"))):
        seed(open(p, "rb").read())
elif target == "fuzz_yamlsubset":
    for rel in ["pep/us_congress_legislators/executive.yaml", "pep/us_congress_legislators/legislators-current.yaml",
                "pep/il_knesset_persons/manifest.yaml"]:
        seed(lines(rel, 150))
    seed(b"a: [1, 'two', \"three\"]\nb: {c: d}\nc: |\n  text\n  more\nd: >-\n  folded\n  line\n- x\n")
elif target in ("fuzz_json", "fuzz_screen_request"):
    bodies = [
        {"name": "Saddam Hussein", "type": "person", "birth_date": "1937-04-28", "country": "IQ"},
        {"name": "Bank Melli", "type": "organization", "lists": ["ofac_sdn", "un"], "threshold": 0.8},
        {"name": "ERIC BADEGE", "type": "person", "case_id": "7b1e0c9a-4f2d-4e8b-9a6c-3d5e1f2a4b6c"},
        {"subjects": [{"name": "A B", "type": "person", "reference": "r1"},
                      {"name": "C D", "type": "organization", "country": "FR", "birth_date": "1970"}],
         "lists": ["un"], "threshold": 0.9},
    ]
    for b in bodies:
        seed(json.dumps(b).encode())
    if target == "fuzz_json":
        seed(read("adverse/interpol_red_notices_api_json/red_notices.json")[:8192])
        seed(lines("sanctions/opensanctions_ftm_json/yente_t1_fixture/entities.ftm.json", 1))
        seed(b'{"a":[1,2.5,-3e9,true,false,null,"\\u00e9\\ud83d\\ude00"],"b":{}}')
else:
    # Targets other slices add (fuzz_http_head, fuzz_multipart, …) may bring their own seeds.py rules; without one
    # they start from an empty corpus.
    pass
print("%s: %d seeds" % (target, count))
