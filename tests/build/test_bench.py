"""`make bench` in its quick mode: the report's format and the properties it checks."""

import re
import subprocess
import sys

import pytest

from tests.conftest import REPO
from tests.sample_site import MODULE, PAGE_KO

pytestmark = pytest.mark.slow

ROW = (r"{name}\s+(?P<s>\d+\.\d\d)\s+(?P<ratio>\d+\.\d{{3}})\s+(?P<mb>\d+)\s+"
       r"(?P<run>\d+)/(?P<cached>\d+)/(?P<failed>\d+)")


def test_bench_quick_mode_prints_every_measure(sample):
    """On the synthetic sample site (its warm cache copied), so no article's text is involved."""
    project, cache = sample
    result = subprocess.run([sys.executable, "-m", "snippets.build.bench", "--quick", "--cache-from", str(cache),
                             "--project", str(project)], cwd=REPO, capture_output=True, text=True, timeout=600)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    lines = out.splitlines()
    assert lines[0].split() == ["build", "seconds", "ratio", "peak", "MB", "jobs", "run/cached/failed"]
    rows = {}
    for name in ("warm \\(quick: seeded cache\\)", "warm", "prose edit", "module edit"):
        m = re.search("^" + ROW.format(name=name) + "$", out, flags=re.M)
        assert m, (name, out)
        rows[name] = m
    assert float(rows["warm \\(quick: seeded cache\\)"]["ratio"]) == 1.0
    assert all(int(m["mb"]) > 10 for m in rows.values())
    assert rows["prose edit"]["run"] == "0"
    assert int(rows["module edit"]["run"]) > 0
    assert "torch imported in the warm build: no" in out
    assert "module edit re-ran exactly those jobs: yes" in out
    ran = re.search(r"^module edit \((.*)\) re-ran: (.*)$", out, flags=re.M)
    assert ran.group(1) == MODULE and len(ran.group(2).split(", ")) == int(rows["module edit"]["run"])
    assert f"prose edit ({PAGE_KO})" in out


def test_bench_quick_mode_needs_a_cache():
    result = subprocess.run([sys.executable, "-m", "snippets.build.bench", "--quick"], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 2 and "--quick needs --cache-from" in result.stderr
