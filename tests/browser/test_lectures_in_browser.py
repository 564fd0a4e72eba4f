"""Every lecture in real JupyterLab in real headless Chromium: run all cells, no errors, every
widget rendered as a widget (not as text), one control of each widget changes its figure.

    make test-browser        # python -m pytest -q -m browser tests/browser

Screenshots (whole notebook view and each widget before/after) go to artifacts/browser/.
"""
from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.browser

LECTURES = sorted(p.name for p in (ROOT / "lectures").glob("*.ipynb"))
EXERCISE = "exercises/01-chain-rule/01-chain-rule.ipynb"

LOAD_TIMEOUT = 90_000          # ms: JupyterLab loaded and the kernel idle
RUN_TIMEOUT = 240_000          # ms: all cells executed (each lecture runs < 20 s headless)
CHANGE_TIMEOUT = 20_000        # ms: a widget redraws after a control moved

# the notebook is done when the kernel is idle, no prompt shows [*], and every code cell has run
# (or one raised: Run All stops at an error, which the test then reports)
DONE_JS = r"""() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return false;
  const ind = panel.querySelector('.jp-Notebook-ExecutionIndicator')
            || document.querySelector('.jp-Notebook-ExecutionIndicator');
  const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(e => e.textContent);
  const errored = [...panel.querySelectorAll(
      ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")]
      .some(e => e.textContent.includes('Traceback'));
  return !!ind && ind.dataset.status === 'idle' && prompts.length > 0
         && !prompts.some(t => t.includes('*'))
         && (errored || prompts.every(t => /\[\d+\]/.test(t)));
}"""

# what a widget shows: its images and its HTML/label text (the figure and the numbers beside it)
SNAPSHOT_JS = r"""el => [...el.querySelectorAll('img')].map(i => i.src.length + ':' + i.src.slice(-200))
  .concat([...el.querySelectorAll('.widget-html-content, .widget-label, .jp-RenderedImage img')]
  .map(e => e.textContent)).join('|')"""

TEXT_REPR = re.compile(r"^\s*(VBox|HBox|Box|GridBox|Image|Output|Tab|Accordion|IntSlider|FloatSlider|"
                       r"Dropdown|Button|Play|Checkbox|interactive)\(")
ERROR = re.compile(r"Traceback \(most recent call last\)|^\w*(Error|Exception)\b.*:", re.M)


def expected_widgets(nb_path):
    """Code cells that display a widget: the last line is `<name>.widget` or display(<x>.widget)."""
    nb = json.loads(Path(nb_path).read_text())
    n = 0
    for c in nb["cells"]:
        if c["cell_type"] != "code":
            continue
        lines = [ln for ln in "".join(c["source"]).splitlines() if ln.strip()]
        if lines and re.search(r"(\.widget|display\(.*\.widget\))\s*\)?\s*$", lines[-1]):
            n += 1
    return n


def open_notebook(page, lab, rel_path):
    page.goto(lab.url(f"lab/tree/{rel_path}?reset"))      # ?reset: no tabs restored from before
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=LOAD_TIMEOUT)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=LOAD_TIMEOUT)


STATE_JS = r"""() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const ind = panel && panel.querySelector('.jp-Notebook-ExecutionIndicator');
  const dialog = document.querySelector('.jp-Dialog');
  return {kernel: ind && ind.dataset.status, dialog: dialog && dialog.textContent.slice(0, 300),
          prompts: [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')]
                   .map(e => e.textContent).join(' ')};
}"""


def wait_done(page, what, timeout=RUN_TIMEOUT):
    try:
        page.wait_for_function(DONE_JS, timeout=timeout, polling=500)
    except Exception as e:
        shot = ROOT / "artifacts" / "browser" / f"TIMEOUT-{int(time.time())}.png"
        page.screenshot(path=str(shot))
        raise AssertionError(f"{what}: notebook did not finish within {timeout / 1000:.0f} s; "
                             f"state {page.evaluate(STATE_JS)}; screenshot {shot}") from e


STARTED_JS = r"""() => [...document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')]
    .some(e => /\*|\d/.test(e.textContent))"""


def dismiss_dialog(page, what):
    """A modal JupyterLab dialog (a kernel to select on a slow first start) blocks the menu:
    accept it as a user would, with a screenshot and its text on record."""
    dialog = page.query_selector(".jp-Dialog")
    if dialog is None:
        return
    text = (dialog.text_content() or "")[:200]
    shot = ROOT / "artifacts" / "browser" / f"DIALOG-{int(time.time())}.png"
    page.screenshot(path=str(shot))
    print(f"{what}: dismissed a dialog ({text!r}); screenshot {shot}")
    accept = page.query_selector(".jp-Dialog .jp-mod-accept")
    if accept is not None:
        accept.click()
    else:
        page.keyboard.press("Escape")
    page.wait_for_selector(".jp-Dialog", state="detached", timeout=10_000)


def run_all(page, what="run all", attempts=3):
    """Run → Run All Cells from the menu bar, then wait for the kernel to finish. A run-all sent
    while the kernel connection is still settling can be dropped (no cell ever shows [*]): then
    it is sent again."""
    for attempt in range(attempts):
        dismiss_dialog(page, what)
        page.click("li.lm-MenuBar-item:has-text('Run')")
        page.click("li.lm-Menu-item[data-command='runmenu:run-all']")
        try:
            page.wait_for_function(STARTED_JS, timeout=20_000, polling=250)
            break
        except Exception as err:  # noqa: BLE001 - playwright's timeout: try the menu again
            if attempt == attempts - 1:
                raise AssertionError(f"{what}: Run All did not start any cell "
                                     f"(state {page.evaluate(STATE_JS)})") from err
            page.keyboard.press("Escape")
    wait_done(page, what)
    time.sleep(1.0)                               # a late output or a widget view still attaching
    wait_done(page, what)


def error_outputs(page):
    texts = page.eval_on_selector_all(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
        "els => els.map(e => e.textContent)")
    return [t for t in texts if ERROR.search(t)]


def unexecuted_prompts(page):
    prompts = page.eval_on_selector_all(".jp-NotebookPanel .jp-CodeCell .jp-InputPrompt",
                                        "els => els.map(e => e.textContent)")
    return [i for i, t in enumerate(prompts) if not re.search(r"\[\d+\]", t)]


def widget_views(page):
    """Top-level widget views in output areas (one per displayed widget)."""
    return page.query_selector_all(".jp-OutputArea-output > .jupyter-widgets, "
                                   ".jp-OutputArea-output > .jp-RenderedWidget > .jupyter-widgets")


def control_candidates(view):
    """Controls to try, most likely to redraw first: dropdowns, checkboxes, sliders, buttons
    (never the Play widget's buttons: playing is tested separately)."""
    out = []
    for sel in view.query_selector_all("select"):
        out.append(("dropdown", sel))
    for cb in view.query_selector_all("input[type=checkbox]"):
        out.append(("checkbox", cb))
    for h in view.query_selector_all(".widget-slider .noUi-handle"):
        out.append(("slider", h))
    for b in view.query_selector_all("button.jupyter-button"):
        if not b.evaluate("b => !!b.closest('.widget-play')") and b.is_enabled():
            out.append(("button", b))
    return out


def move(page, kind, el):
    el.scroll_into_view_if_needed()
    if kind == "dropdown":
        opts = el.evaluate("s => [...s.options].map(o => o.value)")
        cur = el.evaluate("s => s.value")
        other = next((o for o in opts if o != cur), None)
        if other is None:
            return False
        el.select_option(other)
    elif kind == "checkbox":
        el.click()
    elif kind == "slider":                  # noUiSlider handles take arrow keys; at the top end
        el.focus()                           # ArrowRight does nothing, so then go left
        before = el.get_attribute("aria-valuenow")
        page.keyboard.press("ArrowRight")
        time.sleep(0.3)
        if el.get_attribute("aria-valuenow") == before:
            page.keyboard.press("ArrowLeft")
            page.keyboard.press("ArrowLeft")
    else:
        el.click()
    return True


def change_one_control(page, view, name, shots):
    """Move controls of one widget until its figure changes; returns a description of the one that did."""
    before = view.evaluate(SNAPSHOT_JS)
    view.screenshot(path=str(shots / f"{name}-before.png"))
    tried = []
    for kind, el in control_candidates(view)[:8]:
        label = el.evaluate("e => (e.closest('.widget-inline-hbox, .jupyter-widgets')"
                            "?.querySelector('.widget-label')?.textContent || e.textContent || '').trim()")
        if not move(page, kind, el):
            continue
        tried.append(f"{kind} {label!r}")
        try:
            page.wait_for_function("([el, before]) => (" + SNAPSHOT_JS + ")(el) !== before",
                                   arg=[view, before], timeout=CHANGE_TIMEOUT, polling=250)
        except Exception:  # noqa: BLE001 - playwright's timeout: this control changed nothing
            continue
        time.sleep(0.5)
        view.screenshot(path=str(shots / f"{name}-after.png"))
        return f"{kind} {label!r}"
    raise AssertionError(f"{name}: no control changed the figure (tried {tried})")


@pytest.mark.parametrize("notebook", LECTURES)
def test_lecture_runs_and_widgets_respond(page, jupyter_lab, artifacts, notebook):
    t0 = time.monotonic()
    stem = notebook.removesuffix(".ipynb")
    open_notebook(page, jupyter_lab, f"lectures/{notebook}")
    run_all(page, notebook)
    t_run = time.monotonic() - t0
    page.screenshot(path=str(artifacts / f"{stem}-end.png"))

    errors = error_outputs(page)
    assert not errors, f"{notebook}: error outputs:\n" + "\n---\n".join(e[-1500:] for e in errors)
    assert not unexecuted_prompts(page), f"{notebook}: cells not executed: {unexecuted_prompts(page)}"

    texts = page.eval_on_selector_all(".jp-OutputArea-output", "els => els.map(e => e.textContent)")
    assert not [t for t in texts if "Loading widget" in t], f"{notebook}: a widget never loaded"
    reprs = [t[:80] for t in texts if TEXT_REPR.match(t)]
    assert not reprs, f"{notebook}: widgets shown as text, not rendered: {reprs}"
    assert not [t for t in texts if "Error displaying widget" in t], f"{notebook}: widget error"

    views = widget_views(page)
    n_expected = expected_widgets(ROOT / "lectures" / notebook)
    assert len(views) >= n_expected, f"{notebook}: {n_expected} widget(s) displayed, {len(views)} rendered"
    moved = []
    for k, view in enumerate(views):
        view.scroll_into_view_if_needed()
        if k == 0:
            time.sleep(0.3)
            page.screenshot(path=str(artifacts / f"{stem}.png"))
        assert view.query_selector_all("img, .widget-html-content, canvas"), \
            f"{notebook}: widget {k} shows no figure"
        moved.append(change_one_control(page, view, f"{stem}-widget{k}", artifacts))
    if not views:
        page.screenshot(path=str(artifacts / f"{stem}.png"))
    assert not page.js_errors, f"{notebook}: JavaScript errors: {page.js_errors[:3]}"
    print(f"{notebook}: ran in {t_run:.1f} s, {len(views)} widget(s), moved {moved}, "
          f"total {time.monotonic() - t0:.1f} s")


def test_playground_play_and_pause(page, jupyter_lab, artifacts):
    """▶ trains in the browser (the Play widget ticks the kernel), ⏸ stops it."""
    open_notebook(page, jupyter_lab, "lectures/00-playground.ipynb")
    run_all(page)
    view = widget_views(page)[0]
    view.scroll_into_view_if_needed()
    status = view.query_selector(".widget-html-content:has-text('step')")
    step_of = lambda: int(re.search(r"step (\d+)", status.text_content()).group(1))  # noqa: E731
    start = step_of()
    buttons = view.query_selector_all(".widget-play button")
    buttons[0].click()                                                     # ▶
    page.wait_for_function("([el, s]) => { const m = el.textContent.match(/step (\\d+)/);"
                           " return m && +m[1] >= s + 10; }", arg=[status, start], timeout=60_000)
    buttons[1].click()                                                     # ⏸
    time.sleep(1.5)
    paused = step_of()
    time.sleep(1.5)
    assert step_of() == paused, "still training after pause"
    assert paused >= start + 10
    view.screenshot(path=str(artifacts / "00-playground-playing.png"))


def test_nbgrader_validate_button(page, jupyter_lab, artifacts):
    """nbgrader's Validate (toolbar button of its labextension) on the unsolved exercise reports
    failing tests. A copy is validated (Validate saves the notebook first)."""
    src = ROOT / EXERCISE
    if not src.exists():
        pytest.skip(f"{EXERCISE} not generated yet (make release)")
    copy_dir = artifacts / "validate" / src.parent.name
    shutil.rmtree(copy_dir, ignore_errors=True)
    copy_dir.mkdir(parents=True)
    shutil.copy(src, copy_dir / src.name)
    rel = copy_dir.relative_to(ROOT) / src.name
    open_notebook(page, jupyter_lab, rel.as_posix())
    page.locator(".jp-NotebookPanel-toolbar :text-is('Validate')").locator("visible=true").first.click()
    dialog = page.wait_for_selector(".jp-Dialog", timeout=RUN_TIMEOUT)
    page.wait_for_function("d => !/validating|running/i.test(d.textContent) || /fail|success|error/i"
                           ".test(d.textContent)", arg=dialog, timeout=RUN_TIMEOUT)
    text = dialog.text_content()
    dialog.screenshot(path=str(artifacts / "validate-dialog.png"))
    assert re.search(r"fail|error", text, re.I), f"validation dialog does not report failures: {text[:500]}"
