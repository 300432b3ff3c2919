"""Writes the interop matrix (HTML) and summary (Markdown) from occi-conformance results
files, and compares the verdicts on PySSF with the reviewed expectations.

Usage: matrix.py RESULTS_DIR MATRIX_HTML SUMMARY_MD EXPECTED_TSV ENDPOINT...
RESULTS_DIR holds ENDPOINT.json (and ENDPOINT.html, linked from each cell) and
pocci-text-plain.json / pocci-text-occi.json when pOCCI ran. Exit status 1 when a PySSF verdict
differs from EXPECTED_TSV (lines: id, outcome, reason; tab-separated; # comments).
"""
import html
import json
import os
import re
import sys

OUTCOMES = ["pass", "pass-lenient", "warn", "fail", "skip", "error"]
COLOURS = {"pass": "#dafbe1", "pass-lenient": "#ddf4ff", "warn": "#fff8c5",
           "fail": "#ffebe9", "skip": "#f6f8fa", "error": "#fbefff"}


def load(results, name):
    with open(os.path.join(results, name + ".json")) as f:
        return json.load(f)


def counts(report, level=None):
    c = {o: 0 for o in OUTCOMES}
    for r in report["requirements"]:
        if r.get("outcome") and (level is None or r["level"] == level):
            c[r["outcome"]] += 1
    return c


def pocci_counts(path):
    """(passed, failed, [(test, reasons)] of the failed tests) from pOCCI's JSON output, or
    None when pOCCI did not run."""
    if not os.path.exists(path):
        return None
    try:
        report = json.load(open(path))
    except ValueError:
        return None
    failed = [(t["name"], "; ".join(t.get("reason") or []))
              for t in report.get("tests", []) if t.get("status") == "FAIL"]
    return report.get("passed", 0), report.get("failed", 0), failed


def main():
    results, matrix_path, summary_path, expected_path = sys.argv[1:5]
    endpoints = sys.argv[5:]
    reports = {e: load(results, e) for e in endpoints}
    ids = {}
    for e, rep in reports.items():
        for r in rep["requirements"]:
            ids.setdefault(r["id"], (r["level"], r.get("statement", "")))
    order = sorted(ids)

    rows = []
    for rid in order:
        cells = []
        for e in endpoints:
            out = next((r.get("outcome") for r in reports[e]["requirements"]
                        if r["id"] == rid), None) or "-"
            colour = COLOURS.get(out, "#fff")
            cells.append('<td style="background:%s"><a href="results/%s.html#%s">%s</a></td>'
                         % (colour, html.escape(e), html.escape(rid), html.escape(out)))
        level, statement = ids[rid]
        rows.append('<tr><th title="%s">%s</th><td>%s</td>%s</tr>'
                    % (html.escape(statement), html.escape(rid), level, "".join(cells)))
    head = "".join("<th>%s<br><small>%s</small></th>"
                   % (html.escape(e), html.escape(reports[e]["target"])) for e in endpoints)
    page = ("<!doctype html><meta charset=utf-8><title>OCCI interop matrix</title>"
            "<style>body{font:14px sans-serif}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:2px 6px}a{color:inherit}</style>"
            "<h1>OCCI interop matrix</h1><p>Profiles core, infrastructure, text-plain, "
            "text-occi, occi-1.1, with --allow-mutation. Each cell links to the evidence in "
            "that endpoint's report.</p><table><tr><th>requirement</th><th>level</th>%s</tr>"
            "%s</table>" % (head, "".join(rows)))
    with open(matrix_path, "w") as f:
        f.write(page)

    lines = ["# Interop summary", "",
             "Written by `bash interop/run` (do not edit by hand): occi-conformance with "
             "`--profile core,infrastructure,text-plain,text-occi,occi-1.1 --allow-mutation` "
             "against each server, and pOCCI 1.0.3 against occi-server. The full matrix is "
             "`target/interop/matrix.html`.", "",
             "| endpoint | MUST pass | MUST pass-lenient | MUST warn | MUST fail | MUST skip "
             "| MUST error | verdict |", "|---|---|---|---|---|---|---|---|"]
    for e in endpoints:
        c = counts(reports[e], "MUST")
        lines.append("| %s | %s | %s |" % (
            e, " | ".join(str(c[o]) for o in OUTCOMES),
            reports[e]["verdict"]["verdict"]))
    lines.append("")
    for e in endpoints:
        fails = [r["id"] for r in reports[e]["requirements"]
                 if r.get("outcome") == "fail"]
        lines.append("- %s fails: %s" % (e, ", ".join(fails) or "none"))
    for media in ("text-plain", "text-occi"):
        p = pocci_counts(os.path.join(results, "pocci-%s.json" % media))
        if p is None:
            lines.append("- pOCCI against occi-server as %s: did not run"
                         % media.replace("-", "/", 1))
            continue
        lines.append("- pOCCI against occi-server as %s: %d passed, %d failed"
                     % (media.replace("-", "/", 1), p[0], p[1]))
        for name, reason in p[2]:
            lines.append("  - %s: %s" % (name, reason))
    lines.append("- Why each remaining pOCCI failure is pOCCI's, with the spec reference: "
                 "[POCCI.md](POCCI.md).")
    lines.append("")
    with open(summary_path, "w") as f:
        f.write("\n".join(lines))

    status = 0
    if "pyssf" in reports:
        got = {r["id"]: r.get("outcome") or "-" for r in reports["pyssf"]["requirements"]}
        if not os.path.exists(expected_path):
            draft = expected_path + ".new"
            with open(draft, "w") as f:
                for rid in order:
                    if rid in got:
                        f.write("%s\t%s\t\n" % (rid, got[rid]))
            sys.stderr.write("interop: no %s; wrote %s to review\n" % (expected_path, draft))
            return 1
        expected = {}
        for line in open(expected_path):
            if line.strip() and not line.startswith("#"):
                parts = line.rstrip("\n").split("\t")
                expected[parts[0]] = parts[1]
        for rid in sorted(set(expected) | set(got)):
            if expected.get(rid) != got.get(rid):
                sys.stderr.write("interop: PySSF %s was %s, now %s\n"
                                 % (rid, expected.get(rid), got.get(rid)))
                status = 1
        if status == 0:
            sys.stderr.write("interop: the PySSF verdicts match %s\n" % expected_path)
    return status


if __name__ == "__main__":
    sys.exit(main())
