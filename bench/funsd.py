#!/usr/bin/env python3
"""FUNSD-style benchmark of chartmill (bench/funsd.sh drives it).

    funsd.py prepare --data DIR --archive OUT [--scale K]
        one chart per image: OUT/NAME/NAME.png (hard link, copy, or an
        upscaled copy with --scale, which needs Pillow)
    funsd.py score --data DIR --kinds TSV --pipeline TOML --db DB --export JSONL
                   [--inspect DIR] [--out report.json] [--details]

The truth is derived from the annotations by the pipeline's own labels: for
each field of the document type the page's kind maps to, the question
entities whose text is one of the field's labels (case and punctuation
insensitive, an optional `No.` / `#` suffix allowed, the most specific label
of the document winning, as chartmill does) give the expected value: the
text of their linked answers. A question found with no linked answer means
the field is expected blank. When a label occurs several times on a page
(`Date` beside each signature), a loaded value that equals any of their
answers counts as right.

Python 3.11 standard library only (Pillow only for `prepare --scale`).
Nothing read from the forms is written anywhere but the report file the
caller names (which holds no form text unless --details is given).
"""
import argparse
import datetime as dt
import difflib
import json
import os
import re
import shutil
import sqlite3
import struct
import sys
import tomllib
from collections import Counter, defaultdict


# ----------------------------------------------------------------- helpers
def canon(s):
    """chartmill's canon: ASCII letters and digits, lower case."""
    return "".join(c.lower() for c in s if c.isascii() and c.isalnum())


def key(s):
    """chartmill's label key: canon with OCR-confusable characters folded."""
    return canon(s).translate(str.maketrans("1l05", "iios"))


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">II", head[16:24])


def text_of(s):
    return re.sub(r"\s+", " ", s).strip()


MONTHS = {m: i + 1 for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}


def parse_date(s):
    """A printed date -> ISO, or None. Two-digit years are 19xx (these are
    forms of the 1950s-1990s; chartmill puts them in the past too)."""
    t = s.lower().strip()
    t = re.sub(r"\s*([-/.,])\s*", r"\1", t)  # FUNSD splits `10- NOV- 1986`
    t = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", t)

    def year(y):
        y = int(y)
        return y + 1900 if y < 100 else y

    def ok(y, m, d):
        try:
            return dt.date(year(y), int(m), int(d)).isoformat()
        except ValueError:
            return None

    m = re.search(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})\b", t)
    if m:
        return ok(m.group(3), m.group(1), m.group(2))
    m = re.search(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", t)
    if m:
        return ok(m.group(1), m.group(2), m.group(3))
    m = re.search(r"\b([a-z]{3,9})\.?[ ,]*(\d{1,2}),?[ ,]*(\d{4}|\d{2})\b", t)
    if m and m.group(1)[:3] in MONTHS:
        return ok(m.group(3), MONTHS[m.group(1)[:3]], m.group(2))
    m = re.search(r"\b(\d{1,2})[ -]*([a-z]{3,9})\.?[ ,-]*(\d{4}|\d{2})\b", t)
    if m and m.group(2)[:3] in MONTHS:
        return ok(m.group(3), MONTHS[m.group(2)[:3]], m.group(1))
    return None


def digits(s):
    return re.sub(r"\D", "", s)


def number(s):
    m = re.search(r"-?\d[\d,]*(\.\d+)?", s)
    if not m:
        return None
    try:
        return float(m.group(0).replace(",", ""))
    except ValueError:
        return None


def flatten(v):
    if v is None:
        return None
    if isinstance(v, dict):
        parts = [str(x) for x in v.values() if x not in (None, "", [])]
        return " ".join(parts) if parts else None
    if isinstance(v, list):
        parts = [flatten(x) for x in v]
        parts = [p for p in parts if p]
        return " ".join(parts) if parts else None
    return str(v)


def same(vtype, got, truth, raw=None):
    """Whether the exported value `got` is the annotated `truth`, as the
    field's type would normalise it. Returns (right, how)."""
    if vtype in ("date", "birth_date"):
        iso = parse_date(truth)
        if iso is not None:
            return str(got) == iso, "date"
        # The truth is not a date we can read: compare the read text loosely.
        return canon(raw or str(got)) == canon(truth), "date_loose"
    if vtype == "phone":
        g, t = digits(str(got)), digits(truth)
        if len(t) == 11 and t[0] == "1":
            t = t[1:]
        return bool(t) and (g == t or (len(t) >= 7 and g.endswith(t))), "phone"
    if vtype in ("integer", "decimal"):
        n = number(truth)
        try:
            return n is not None and abs(float(got) - n) < 1e-9, "number"
        except (TypeError, ValueError):
            return False, "number"
    if vtype == "person_name" or vtype == "provider_name":
        return sorted(canon(w) for w in re.split(r"[\s,.]+", str(got)) if canon(w)) == \
            sorted(canon(w) for w in re.split(r"[\s,.]+", truth) if canon(w)), "name"
    # text, identifier and the rest: case, whitespace and punctuation insensitive
    return canon(str(got)) == canon(truth), "text"


def get_path(doc, path):
    """The value at a pipeline path in the export document (`a.b`, `a[].b`:
    the first record)."""
    cur = doc
    for part in path.split("."):
        lst = part.endswith("[]")
        name = part[:-2] if lst else part
        if not isinstance(cur, dict):
            return None
        cur = cur.get(name)
        if lst:
            cur = cur[0] if isinstance(cur, list) and cur else None
        if cur is None:
            return None
    if isinstance(cur, dict) and path.endswith(".name"):
        return cur
    return cur


def get_value(doc, field):
    """Export value of a field; `X.name` of a person_name is written at
    X.family / X.given, `X.signature` at X.signed_by / X.signed_date."""
    path, vtype = field["path"], field["type"]
    if vtype in ("person_name",) and path.endswith(".name"):
        base = get_path(doc, path.rsplit(".", 1)[0]) or {}
        parts = [base.get("given"), base.get("family")] if isinstance(base, dict) else []
        parts = [p for p in parts if p]
        return " ".join(parts) if parts else None
    if vtype == "signature" and path.endswith(".signature"):
        base = get_path(doc, path.rsplit(".", 1)[0]) or {}
        return base.get("signed_by") if isinstance(base, dict) else None
    v = get_path(doc, path)
    if v in ("", []):
        return None
    return v


# ------------------------------------------------------------- annotations
def load_form(path):
    with open(path) as f:
        form = json.load(f)["form"]
    return {e["id"]: e for e in form}


def answers_of(q, ents):
    out = []
    for pair in q.get("linking", []):
        for other in pair:
            if other != q["id"] and other in ents and ents[other]["label"] == "answer":
                out.append(ents[other])
    out.sort(key=lambda e: (e["box"][1], e["box"][0]))
    return out


LABEL_SUFFIXES = ("no", "number")  # `Fax No.`, `Job Number` of a label `Fax`, `Job`


def label_match(qtext, label):
    """Score of a question text against a label: 2 exact, 1 with a `No.` /
    `#` suffix, 0 none (chartmill: labels may end in `:`, `#`, `.`, `No.`)."""
    q, l = key(qtext), key(label)
    if not l:
        return 0
    if q == l:
        return 2
    if q.endswith("no") and q[:-2] == l:
        return 1
    return 0


def truth_for(ents, fields):
    """For each field index: the question entities that carry one of its
    labels (each question to the field whose label is longest, as the most
    specific label wins) -> list of (question, answers)."""
    per = defaultdict(list)
    for e in ents.values():
        if e["label"] != "question" or not canon(e["text"]):
            continue
        best = None
        for fi, f in enumerate(fields):
            for lab in f["labels"]:
                s = label_match(e["text"], lab)
                if s and (best is None or (s, len(key(lab))) > best[0]):
                    best = ((s, len(key(lab))), fi)
        if best:
            per[best[1]].append((e, answers_of(e, ents)))
    for fi in per:
        per[fi].sort(key=lambda qa: (qa[0]["box"][1], qa[0]["box"][0]))
    return per


def geometry(q, a):
    """Where the answer stands against its question: right, below, above, left."""
    qx0, qy0, qx1, qy1 = q["box"]
    ax0, ay0, ax1, ay1 = a["box"]
    overlap = min(qy1, ay1) - max(qy0, ay0)
    if overlap > 0.4 * min(qy1 - qy0, ay1 - ay0):
        return "right of label" if ax0 >= qx0 else "left of label"
    if ay0 >= (qy0 + qy1) / 2:
        return "below label"
    return "above label"


def answer_lines(answers):
    """How many printed lines the answer text takes (word boxes by rows)."""
    ys = []
    for a in answers:
        for w in a.get("words", []) or [{"box": a["box"]}]:
            x0, y0, x1, y1 = w["box"]
            ys.append(((y0 + y1) / 2, max(1, y1 - y0)))
    ys.sort()
    lines, last = 0, None
    for y, h in ys:
        if last is None or y - last > 0.6 * h:
            lines += 1
            last = y
    return max(lines, 1)


# -------------------------------------------------------- chartmill inspect
WORD = re.compile(r"^(.*)@(\d+)\((\d+)\)$")


def load_inspect(path, scale=1.0):
    """OCR rows printed by `chartmill inspect`: [(y, [(text, x, conf)])], in
    the coordinates of the original image (divided by `scale`)."""
    rows = []
    if not path or not os.path.exists(path):
        return None
    with open(path, errors="replace") as f:
        for line in f:
            m = re.match(r"^y=\s*(\d+)\s(.*)$", line.rstrip("\n"))
            if not m:
                continue
            words = []
            for tok in m.group(2).split(" "):
                w = WORD.match(tok)
                if w:
                    words.append((w.group(1), int(w.group(2)) / scale, int(w.group(3))))
            rows.append((int(m.group(1)) / scale, words))
    return rows


def find_in_rows(rows, text, slack=0.0):
    """Rows whose key contains `text`'s key (with up to slack*len edits)."""
    t = key(text)
    if not t:
        return []
    hits = []
    for i, (y, words) in enumerate(rows):
        r = key("".join(w[0] for w in words))
        if t in r:
            hits.append((i, r, True))
        elif slack > 0 and len(r) >= len(t) * 0.6:
            sm = difflib.SequenceMatcher(None, t, r, autojunk=False)
            blk = sm.find_longest_match(0, len(t), 0, len(r))
            # compare against the best window of the row
            start = max(0, blk.b - blk.a)
            win = r[start:start + len(t)]
            if difflib.SequenceMatcher(None, t, win).ratio() >= 1 - slack:
                hits.append((i, r, False))
    return hits


def words_in_box(rows, box, pad=4):
    x0, y0, x1, y1 = box
    out = []
    for y, words in rows:
        if y0 - pad - 8 <= y <= y1 + pad:
            out += [w for w in words if x0 - pad <= w[1] <= x1 + pad]
    return out


def title_diagnosis(rows, titles, height, headers):
    """Why a page of a declared kind was not classified, from its OCR rows."""
    limit = 0.45 * height
    for t in titles:
        tk = key(t)
        for i, (y, words) in enumerate(rows):
            r = key("".join(w[0] for w in words))
            if tk and tk in r:
                if y > limit:
                    return "title read, but below the top 45 % of the page"
                if r != tk and not r.endswith(tk):
                    return "title read, but shares its line with other text"
                return "title read and alone on its line (chunking / other)"
    # on two lines?
    for t in titles:
        tk = key(t)
        for i in range(len(rows) - 1):
            a = key("".join(w[0] for w in rows[i][1]))
            b = key("".join(w[0] for w in rows[i + 1][1]))
            if len(a) >= 3 and len(b) >= 3 and tk in a + b and tk not in a and tk not in b:
                return "title on two lines"
    for t in titles:
        if find_in_rows(rows, t, slack=0.34):
            return "title misread by OCR (more slips than tolerated)"
    # The printed title is not one of the pipeline's titles?
    for h in headers:
        for t in titles:
            if key(t) and key(t) in key(h):
                return "title not read by OCR at all"
    return "page title not among the pipeline's titles"


def value_diagnosis(kind, qa, rows, raw, got_ok_type):
    """Reasons a field with an expected value was missed or read wrong."""
    reasons = []
    q, answers = qa
    a0 = answers[0]
    where = geometry(q, a0)
    reasons.append("value " + where)
    if where == "right of label":
        qh = max(1, min(w["box"][3] - w["box"][1] for w in q.get("words", []) or [{"box": q["box"]}]))
        if (a0["box"][0] - q["box"][2]) > 2.5 * qh:
            reasons.append("wide gap between label and value (> 2.5 x text height)")
    if not re.search(r"[:#]\s*$", q["text"]):
        reasons.append("label printed without ':' or '#'")
    n = answer_lines(answers)
    if n > 1:
        reasons.append("multi-line value")
    if rows is not None:
        if not find_in_rows(rows, q["text"]):
            if find_in_rows(rows, q["text"], slack=0.34):
                reasons.append("label misread by OCR")
            else:
                reasons.append("label not read by OCR")
        ws = []
        for a in answers:
            ws += words_in_box(rows, a["box"])
        if not ws:
            reasons.append("no OCR words in the answer's box")
        elif sum(w[2] for w in ws) / len(ws) < 50:
            reasons.append("answer read with OCR confidence < 50")
    if raw is not None and not got_ok_type:
        reasons.append("value found but fails its type")
    return reasons


def primary(reasons, have_ocr):
    """One reason per missed value, the first that applies of: label not
    read, value not read, value failing its type, a wide gap, the value's
    place, a label without ':', else label and value read but not paired."""
    order = ["label not read by OCR", "label misread by OCR", "no OCR words in the answer's box",
             "value found but fails its type", "wide gap between label and value (> 2.5 x text height)",
             "value below label", "value above label", "value left of label",
             "label printed without ':' or '#'", "answer read with OCR confidence < 50"]
    for r in order:
        if r in reasons:
            return r
    return "label and value read, not paired" if have_ocr else "value right of label (no --diagnose)"


def wrong_diagnosis(raw, truths):
    """How a wrong value differs from the truth."""
    r = canon(raw or "")
    best = max(truths, key=lambda t: difflib.SequenceMatcher(None, r, canon(t)).ratio())
    t = canon(best)
    if not r:
        return "empty raw"
    if t.startswith(r) or (r in t and len(r) < len(t)):
        return "value cut short (part of the answer)"
    if t in r:
        return "value runs on into neighbouring text"
    ratio = difflib.SequenceMatcher(None, r, t).ratio()
    if ratio >= 0.7:
        return "OCR misread (similar text)"
    return "different text (read from another place)"


# ------------------------------------------------------------------- score
def score(args):
    with open(args.pipeline, "rb") as f:
        pipe = tomllib.load(f)
    header = pipe.get("header", [])
    docs = {d["type"]: d for d in pipe.get("documents", [])}
    kinds = {}
    with open(args.kinds) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            name, kind = line.split("\t")[:2]
            kinds[name] = kind
    exports = {}
    with open(args.export) as f:
        for line in f:
            if line.strip():
                d = json.loads(line)
                exports[d["chart_id"]] = d
    db = sqlite3.connect(args.db)
    pages = {r[0]: (r[1], r[2]) for r in db.execute("SELECT chart_id, doc_type, status FROM pages WHERE page = 1")}
    raws = defaultdict(dict)
    for table in ("chart_values", "review_values"):
        for cid, path, raw, err, x, y, w, h in db.execute(
                f"SELECT chart_id, path, raw, error, bbox_x, bbox_y, bbox_w, bbox_h FROM {table} ORDER BY seq"):
            raws[cid].setdefault(path, (raw, err, (x, y, x + w, y + h)))

    img_dir = os.path.join(args.data, "images")
    ann_dir = os.path.join(args.data, "annotations")
    names = sorted(n[:-4] for n in os.listdir(img_dir) if n.endswith(".png"))

    cls = Counter()
    fields = defaultdict(Counter)           # "doc.path" -> outcome counts
    totals = Counter()
    reasons_missed = Counter()
    reasons_wrong = Counter()
    primary_missed = Counter()
    primary_wrong = Counter()
    title_reasons = Counter()
    ambiguous = 0
    details = []
    kinds_seen = Counter()

    for name in names:
        kind = kinds.get(name, "unlisted")
        kinds_seen[kind] += 1
        doc_type, status = pages.get(name, (None, "missing"))
        exp = exports.get(name)
        chart_status = exp["status"] if exp else "not exported"
        ents = load_form(os.path.join(ann_dir, name + ".json"))
        rows = load_inspect(os.path.join(args.inspect, name + ".txt"), args.scale or 1.0) if args.inspect else None
        size = png_size(os.path.join(img_dir, name + ".png")) or (0, 1000)
        declared = kind in docs
        if declared:
            if doc_type == kind:
                cls["declared: right kind"] += 1
            elif doc_type:
                cls["declared: wrong kind"] += 1
            elif status == "unknown":
                cls["declared: unknown"] += 1
            else:
                cls[f"declared: page {status}"] += 1
            if doc_type != kind and rows is not None:
                headers = [e["text"] for e in ents.values() if e["label"] in ("header", "other")]
                title_reasons[title_diagnosis(rows, docs[kind].get("titles", []), size[1], headers)] += 1
        else:
            if doc_type:
                cls["undeclared: classified (wrong)"] += 1
            elif status == "unknown":
                cls["undeclared: unknown_document (right)"] += 1
            else:
                cls[f"undeclared: page {status}"] += 1
        # Values loaded for a document type that is not the page's kind:
        # every one of them is wrong.
        if doc_type and doc_type != kind and exp:
            for f in docs.get(doc_type, {}).get("fields", []):
                if get_value(exp, f) is not None:
                    totals["values loaded on misclassified pages"] += 1
                    if chart_status == "accepted":
                        totals["misclassified values in accepted charts"] += 1
        if not declared:
            continue
        flist = header + docs[kind].get("fields", [])
        truth = truth_for(ents, flist)
        for fi, f in enumerate(flist):
            fname = f"{kind}:{f['path']}"
            cands = truth.get(fi, [])
            with_answer = [(q, a) for q, a in cands if a and canon(" ".join(x["text"] for x in a))]
            truths = [text_of(" ".join(x["text"] for x in a)) for q, a in with_answer]
            got = get_value(exp, f) if exp else None
            raw, err, vbox = raws[name].get(f["path"], (None, None, None))
            if len(cands) > 1:
                ambiguous += 1
            if truths:
                totals["expected"] += 1
                if doc_type == kind:
                    totals["expected on pages classified right"] += 1
                if got is None:
                    outcome = "missing"
                    if doc_type != kind:
                        reasons_missed["page not classified as its kind"] += 1
                        primary_missed["page not classified as its kind"] += 1
                    else:
                        rs = value_diagnosis(kind, with_answer[0], rows, raw, False)
                        for r in rs:
                            reasons_missed[r] += 1
                        primary_missed[primary(rs, rows is not None)] += 1
                else:
                    ok = any(same(f["type"], got, t, raw)[0] for t in truths)
                    if ok:
                        outcome = "right"
                    else:
                        outcome = "wrong"
                        how = wrong_diagnosis(raw if raw is not None else flatten(got), truths)
                        reasons_wrong[how] += 1
                        primary_wrong[how] += 1
                        for r in value_diagnosis(kind, with_answer[0], rows, None, True):
                            if r.startswith("value ") or r.startswith("wide gap") or r == "multi-line value":
                                reasons_wrong[r] += 1
                        if chart_status == "accepted":
                            totals["wrong values in accepted charts"] += 1
            else:
                if got is None:
                    outcome = "blank, none loaded" if cands else "absent, none loaded"
                else:
                    outcome = "spurious"
                    if chart_status == "accepted":
                        totals["spurious values in accepted charts"] += 1
            fields[fname][outcome] += 1
            totals[outcome] += 1
            if doc_type == kind and outcome == "right":
                totals["right on pages classified right"] += 1
            if args.details and outcome in ("right", "wrong", "missing", "spurious"):
                details.append({"image": name, "field": fname, "outcome": outcome,
                                "expected": truths, "got": flatten(got), "raw": raw, "status": chart_status})
        if exp:
            totals[f"charts {chart_status}"] += 1

    report = {
        "pipeline": os.path.basename(args.pipeline),
        "images": len(names),
        "kinds": dict(kinds_seen.most_common()),
        "classification": dict(cls),
        "fields": {k: dict(v) for k, v in sorted(fields.items())},
        "totals": dict(totals),
        "fields_read_right_pct": round(100 * totals["right"] / totals["expected"], 1) if totals["expected"] else None,
        "fields_with_several_questions": ambiguous,
        "fields_read_right_on_classified_pages_pct": round(
            100 * totals["right on pages classified right"] / totals["expected on pages classified right"], 1)
            if totals["expected on pages classified right"] else None,
        "primary_reason_missed": dict(primary_missed.most_common()),
        "primary_reason_wrong": dict(primary_wrong.most_common()),
        "reasons_missed": dict(reasons_missed.most_common()),
        "reasons_wrong": dict(reasons_wrong.most_common()),
        "title_reasons": dict(title_reasons.most_common()),
    }
    if args.details:
        report["details"] = details
    print_report(report, docs, kinds_seen)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(report, f, indent=1)
        print(f"\nreport written to {args.out}")


def print_report(r, docs, kinds_seen):
    print(f"FUNSD benchmark: {r['images']} images, pipeline {r['pipeline']}")
    declared = sum(n for k, n in kinds_seen.items() if k in docs)
    print(f"kinds: {declared} images of {len([k for k in kinds_seen if k in docs])} declared kinds, "
          f"{r['images'] - declared} of undeclared kinds")
    print("\nclassification")
    for k, v in sorted(r["classification"].items()):
        print(f"  {k:45s} {v:4d}")
    print("\nfields (expected = the annotation links an answer to the label)")
    print(f"  {'field':50s} {'right':>5s} {'wrong':>5s} {'miss':>5s} {'spur':>5s} {'blank':>5s}")
    for k, v in r["fields"].items():
        blank = v.get("blank, none loaded", 0) + v.get("absent, none loaded", 0)
        print(f"  {k:50s} {v.get('right', 0):5d} {v.get('wrong', 0):5d} {v.get('missing', 0):5d} "
              f"{v.get('spurious', 0):5d} {blank:5d}")
    t = r["totals"]
    print(f"\n  {'all':50s} {t.get('right', 0):5d} {t.get('wrong', 0):5d} {t.get('missing', 0):5d} "
          f"{t.get('spurious', 0):5d}")
    print(f"\nfields read right: {t.get('right', 0)} of {t.get('expected', 0)} expected values "
          f"= {r['fields_read_right_pct']} %")
    print(f"fields read right on pages classified as their kind: {t.get('right on pages classified right', 0)} of "
          f"{t.get('expected on pages classified right', 0)} = {r['fields_read_right_on_classified_pages_pct']} %")
    print(f"WRONG VALUES IN ACCEPTED CHARTS: {t.get('wrong values in accepted charts', 0)}"
          f"  (spurious values in accepted charts: {t.get('spurious values in accepted charts', 0)}; "
          f"values loaded on misclassified pages: {t.get('values loaded on misclassified pages', 0)}, "
          f"{t.get('misclassified values in accepted charts', 0)} of them accepted)")
    print(f"charts: accepted {t.get('charts accepted', 0)}, in review {t.get('charts review', 0)} "
          f"(of the declared kinds)")
    print(f"fields whose label occurs more than once on a page (any answer counts): {r['fields_with_several_questions']}")
    for title, key_ in (("missed values, one reason each", "primary_reason_missed"),
                        ("wrong values, one reason each", "primary_reason_wrong"),
                        ("why expected values were missed", "reasons_missed"),
                        ("how wrong values differ", "reasons_wrong"),
                        ("why pages of declared kinds were not classified", "title_reasons")):
        if r[key_]:
            print(f"\n{title}" + ("" if key_.startswith("primary") or key_ == "title_reasons" else " (a value may have several)"))
            for k, v in r[key_].items():
                print(f"  {k:55s} {v:4d}")


# ----------------------------------------------------------------- prepare
def prepare(args):
    img_dir = os.path.join(args.data, "images")
    os.makedirs(args.archive, exist_ok=True)
    if args.scale and args.scale != 1:
        try:
            from PIL import Image
        except ImportError:
            sys.exit("funsd.py: --scale needs Pillow (python3 -c 'import PIL' fails)")
    n = 0
    for f in sorted(os.listdir(img_dir)):
        if not f.endswith(".png"):
            continue
        name = f[:-4]
        d = os.path.join(args.archive, name)
        os.makedirs(d, exist_ok=True)
        src, dst = os.path.join(img_dir, f), os.path.join(d, f)
        if args.scale and args.scale != 1:
            im = Image.open(src)
            im = im.resize((round(im.width * args.scale), round(im.height * args.scale)), Image.LANCZOS)
            im.save(dst, dpi=(round(args.dpi * args.scale),) * 2)
        else:
            try:
                os.link(src, dst)
            except OSError:
                shutil.copyfile(src, dst)
        n += 1
    print(f"{n} charts in {args.archive}", file=sys.stderr)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("prepare")
    a.add_argument("--data", required=True)
    a.add_argument("--archive", required=True)
    a.add_argument("--scale", type=float, default=None)
    a.add_argument("--dpi", type=float, default=90, help="the scans' resolution, written (times --scale) into upscaled copies")
    s = sub.add_parser("score")
    s.add_argument("--data", required=True)
    s.add_argument("--kinds", required=True)
    s.add_argument("--pipeline", required=True)
    s.add_argument("--db", required=True)
    s.add_argument("--export", required=True)
    s.add_argument("--inspect", help="folder of `chartmill inspect` outputs, NAME.txt (for the reasons)")
    s.add_argument("--scale", type=float, default=None, help="the images were upscaled by this factor")
    s.add_argument("--out")
    s.add_argument("--details", action="store_true", help="put every judged value (form text!) into the report")
    args = p.parse_args()
    (prepare if args.cmd == "prepare" else score)(args)


if __name__ == "__main__":
    main()
