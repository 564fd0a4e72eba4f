"""The release fingerprint covers the code the released data are made from, and nothing else: a
comment, a docstring or a diagnosis message the release never runs leaves every release current;
a change of a probe, of the flattening or of the key's code marks it stale."""
import pytest

from bpkit.grading import compare, diagnose
from bpkit_instructor import release_data
from bpkit_instructor.exercises import a00

PREFIX = "00"


@pytest.fixture
def edit(monkeypatch):
    """edit(module, old, new): the fingerprint sees `module`'s source with `old` replaced once."""
    real = release_data._source
    edits = {}

    def source(mod):
        text = real(mod)
        for old, new in edits.get(mod, ()):
            assert text.count(old) >= 1, f"{old!r} is not in {mod.__name__}"
            text = text.replace(old, new, 1)
        return text
    monkeypatch.setattr(release_data, "_source", source)
    return lambda mod, old, new: edits.setdefault(mod, []).append((old, new))


def test_comments_docstrings_and_unreleased_messages_leave_the_fingerprint(edit):
    before = release_data.fingerprint(PREFIX)
    edit(diagnose, '"""Designed variations of a case', '"""Designed (edited) variations of a case')
    edit(diagnose, "    rng = np.random.default_rng(20261207)\n",
         "    # a comment\n\n    rng = np.random.default_rng(20261207)   # and another\n")
    edit(diagnose, "right when the biases are zero: look at how", "right when the biases are zero: see how")  # PROBES
    edit(diagnose, "def describe_inputs(case, hidden: bool) -> str:",
         "def describe_inputs(case, hidden: bool) -> str:  # the check's message only")
    edit(compare, "def flatten(", "# a comment before flatten\ndef flatten(")
    edit(a00, "import numpy as np", "import numpy as np  # a comment in the key")
    assert release_data.fingerprint(PREFIX) == before


@pytest.mark.parametrize("mod, old, new", [
    (diagnose, "default_rng(20261207)", "default_rng(20261208)"),      # a probe's random draw
    (diagnose, "MAX_EXAMPLE_PROBES = 6", "MAX_EXAMPLE_PROBES = 5"),    # a constant a probe reads
    (diagnose, 'STRUCTURAL = ("graph:", "op:")', 'STRUCTURAL = ("graph:",)'),
    (compare, "def flatten(value, prefix=\"out\"):", "def flatten(value, prefix=\"out_\"):"),
    (a00, "import numpy as np", "import numpy as np\nEXTRA = 1"),        # the key's code
])
def test_a_change_of_the_code_the_release_runs_changes_it(edit, mod, old, new):
    before = release_data.fingerprint(PREFIX)
    edit(mod, old, new)
    assert release_data.fingerprint(PREFIX) != before


def test_a_definition_the_release_uses_must_be_defined_where_it_is_looked_for(edit):
    edit(diagnose, "def probe_cases(", "def probe_cases_renamed(")
    with pytest.raises(ValueError, match="probe_cases"):
        release_data.fingerprint(PREFIX)


def test_the_canonical_text_has_no_positions_and_no_empty_fields():
    tree = release_data._parsed("def f(x):\n    '''doc'''\n    return x  # c\n")[0]
    text = release_data._canonical(tree)
    assert "doc" not in text and "lineno" not in text and "=[]" not in text and "None" not in text
    assert release_data._canonical(release_data._parsed("\n\ndef f(x):\n    return x\n")[0]) == text
