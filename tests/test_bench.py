"""`make bench` in its quick mode: the report's format and the properties it checks."""

import re
import subprocess
import sys

import pytest

from .conftest import REPO

pytestmark = pytest.mark.slow

ROW = (r"{name}\s+(?P<s>\d+\.\d\d)\s+(?P<ratio>\d+\.\d{{3}})\s+(?P<mb>\d+)\s+"
       r"(?P<run>\d+)/(?P<cached>\d+)/(?P<failed>\d+)")


def test_bench_quick_mode_prints_every_measure(built_site):
    result = subprocess.run([sys.executable, "-m", "snippets.build.bench", "--quick", "--cache-from",
                             str(built_site.cache)], cwd=REPO, capture_output=True, text=True, timeout=600)
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
    ran = re.search(r"^module edit \(.*\) re-ran: (.*)$", out, flags=re.M).group(1).split(", ")
    assert len(ran) == int(rows["module edit"]["run"])


def test_bench_quick_mode_needs_a_cache():
    result = subprocess.run([sys.executable, "-m", "snippets.build.bench", "--quick"], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 2 and "--quick needs --cache-from" in result.stderr
