"""The class report: a self-contained page with histograms, ranked misconceptions with hints,
flagged students with reasons, and grading times; rendered in headless Chromium if available."""
import json
import os
import random
import re
import sys
from pathlib import Path

import nbformat
import pytest

from bpkit_instructor import spec
from bpkit_instructor.course import autograde, batch, release, report, simulate

sys.path.insert(0, str(Path(__file__).parent))
import selftest_course  # noqa: E402

A = selftest_course.ASSIGNMENT
CHROMIUM = os.environ.get("BPKIT_CHROMIUM", "/usr/bin/chromium")
pytestmark = pytest.mark.slow


def write_nb(root, student, nb):
    folder = root / "submitted" / student / A
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{A}.ipynb"
    target.write_text(nb) if isinstance(nb, str) else nbformat.write(nb, str(target))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = selftest_course.build(tmp_path_factory.mktemp("report"))
    release.generate(root)
    for i, kind in enumerate(["correct", "blank", "delete-cell", "attack:monkeypatch-check",
                              "corrupt-json"]):
        nb, _ = simulate.make_submission(A, kind, random.Random(i), root)
        write_nb(root, f"r-{kind.replace(':', '-')}", nb)
    # "sign flip" twice, "missing σ′" once: the report must rank sign flip first
    for student, variant in [("v-flip1", "sign flip"), ("v-flip2", "sign flip"),
                             ("v-missing", "missing σ′")]:
        write_nb(root, student, simulate.with_misconception(A, "00.delta_L", variant, root))
    batch.grade_all(A, root, workers=2, timeout=30, progress=False)
    # a timeout is slow to produce for real (the judge waits for it): add a stored record
    fake = root / "autograded" / "z-looper" / A
    fake.mkdir(parents=True)
    (fake / autograde.RESULTS).write_text(json.dumps({
        "student": "z-looper", "assignment": A, "score": 3.0, "max_score": 5.0,
        "cells": {"test_delta_L": {"points": 3.0, "nbgrader": 3.0, "checks": [], "final": 3.0},
                  "test_square": {"points": 2.0, "nbgrader": 0.0, "checks": [], "final": 0.0}},
        "flags": ["00.square: timeout"], "misconceptions": [], "error": None, "seconds": 12.5}))
    out = report.write_report(A, root)
    return root, out, out.read_text(encoding="utf-8")


def test_default_path_and_self_contained(graded):
    root, out, page = graded
    assert out == root / "reports" / f"{A}.html"
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), "external resource"
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page and "<link" not in page


def test_histogram_for_every_graded_cell(graded):
    _, _, page = graded
    for gid in ("test_delta_L", "test_square"):
        assert re.search(rf'<img alt="histogram of {gid}" src="data:image/png;base64,[A-Za-z0-9+/=]{{200,}}"',
                         page), gid
    assert 'alt="histogram of total scores"' in page


def test_misconceptions_ranked_by_frequency_with_hints(graded):
    _, _, page = graded
    section = page.split('id=misconceptions')[1].split("<h2")[0]
    hints = {v.name: v.hint for v in spec.get("00.delta_L").variants}
    flip, missing = section.find("00.delta_L: sign flip"), section.find("00.delta_L: missing σ′")
    assert 0 <= flip < missing, "sign flip (2 students) must come before missing σ′ (1 student)"
    for name in ("sign flip", "missing σ′"):
        hint = hints[name].replace("'", "&#x27;")
        assert hint in section, name
    assert re.search(r"sign flip</td><td class=\"num\">2</td>", section)
    assert "v-flip1, v-flip2" in section


def test_flagged_students_with_reasons(graded):
    _, _, page = graded
    section = page.split("id=flagged")[1].split("<h2")[0]
    rows = {m.group(1): m.group(2) for m in re.finditer(r"<tr><td>([^<]+)</td>(.*?)</tr>", section)}
    assert set(rows) >= {"r-delete-cell", "r-attack-monkeypatch-check", "r-corrupt-json", "z-looper"}
    assert "r-correct" not in rows and "v-flip1" not in rows
    assert "deleted-cell" in rows["r-delete-cell"] and "scores 0" in rows["r-delete-cell"]
    assert "judge-disagrees" in rows["r-attack-monkeypatch-check"]
    assert "tampering" in rows["r-attack-monkeypatch-check"]
    assert "corrupt-notebook" in rows["r-corrupt-json"] and "NotJSONError" in rows["r-corrupt-json"]
    assert "timeout" in rows["z-looper"] and "time limit" in rows["z-looper"]


def test_grading_times_table_and_summary(graded):
    root, _, page = graded
    section = page.split("id=timing")[1]
    results = autograde.load_results(A, root)
    med = sorted(r["seconds"] for r in results)[len(results) // 2]
    assert re.search(r"median \d+\.\d\d s, max 12\.50 s", section)
    assert f"{med:.2f}" in section
    for r in results:
        assert f"<td>{r['student']}</td><td class=\"num\">{r['seconds']:.2f}</td>" in section


def test_report_command(graded, tmp_path, capsys):
    root, _, _ = graded
    os.environ["BPKIT_COURSE"] = str(root)
    try:
        assert report.main_report([A, "--out", str(tmp_path / "r.html")]) == 0
    finally:
        del os.environ["BPKIT_COURSE"]
    assert (tmp_path / "r.html").read_text().count("<h2") == 4
    assert str(tmp_path / "r.html") in capsys.readouterr().out


def _browser_missing():
    if not os.path.exists(CHROMIUM):
        return f"no Chromium at {CHROMIUM} (set BPKIT_CHROMIUM)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install 'bpkit[browser]')"
    return None


def render(url):
    """Open the report in headless Chromium; (errors, requests, h1, h2s, image widths, png)."""
    from playwright.sync_api import sync_playwright
    errors, requests = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(url)
            page.wait_for_load_state("load")
            headings = page.locator("h2").all_inner_texts()
            h1 = page.locator("h1").inner_text()
            widths = page.eval_on_selector_all("img", "els => els.map(e => e.naturalWidth)")
            shot = page.screenshot(full_page=True)
        finally:
            browser.close()
    return errors, requests, h1, headings, widths, shot


@pytest.mark.browser
@pytest.mark.skipif(_browser_missing() is not None, reason=str(_browser_missing()))
def test_report_renders_in_headless_chromium(graded, tmp_path):
    from concurrent.futures import ThreadPoolExecutor
    _, out, _ = graded
    # its own thread: the browser suite's session may already run Playwright's loop in this one
    with ThreadPoolExecutor(1) as pool:
        errors, requests, h1, headings, widths, shot = pool.submit(render, out.as_uri()).result()
    (tmp_path / "report.png").write_bytes(shot)
    assert not errors, errors
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
    assert h1 == f"Class report — {A}"
    assert headings == ["Score distribution per question", "Misconceptions, most frequent first",
                        "Flagged students", "Grading time per submission"]
    assert len(widths) == 3 and all(w > 0 for w in widths)
    assert len(shot) > 10_000
