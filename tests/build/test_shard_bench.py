"""`make bench-shards` on the sample site with a joining figure (tests/build/test_shards.py):
every shard's time, the merge, what waited for it, and byte-identical results for each N."""

import re
import subprocess
import sys

import pytest

from tests.build.test_shards import joined_site
from tests.conftest import REPO

pytestmark = pytest.mark.slow


def test_bench_shards_prints_each_shard_and_finds_the_same_bytes_for_every_n(tmp_path):
    project = joined_site(tmp_path / "project")
    (tmp_path / "no-durations").mkdir()
    result = subprocess.run([sys.executable, "-m", "snippets.build.shard_bench", "--project", str(project),
                             "--counts", "1,2", "--durations-from", str(tmp_path / "no-durations")],
                            cwd=REPO, capture_output=True, text=True, timeout=600)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert re.match(r"6 jobs, 0 s of known job time \(6 with no known duration\); critical path 0\.0 s", out)
    shards = re.findall(r"^N=(\d) shard (\d)/\1: +(\d+) jobs, +[\d.]+ s planned, +([\d.]+) s wall$", out, re.M)
    assert [(n, i) for n, i, _, _ in shards] == [("1", "1"), ("2", "1"), ("2", "2")]
    assert int(shards[0][2]) == 6 and int(shards[1][2]) + int(shards[2][2]) == 4  # N=2: two wait for the merge
    for n, merged, later in (("1", 6, "0 jobs"), ("2", 4, "2 jobs: notebook-demo-sample, sample-both")):
        line = re.search(rf"^N={n}: slowest shard .*$", out, re.M).group(0)
        assert f"merged {merged} cache entries, 0 already present, 0 refused" in line
        assert "after the merge" in line and f"({later})" in line
        assert "strict build" in line and "running 0 jobs; files differing from N=1: 0 (+0 in timing jobs, " \
            "+0 only in measured durations)" in line


def test_measured_durations_are_masked_and_nothing_else():
    from snippets.build.shard_bench import without_durations

    a = (b'{"seconds": {"cell": "5.7 (5.1\xe2\x80\x936.4)", "max": 6.4}, "rmse": 19.1} '
         b"trained in 6.0 s &#x27;seconds&#x27;: 3.5, &#x27;seconds_median&#x27;: 26.6 "
         b'"minutes": 3 # took about 3 min # \xec\x95\xbd 3\xeb\xb6\x84')
    b = (b'{"seconds": {"cell": "5.9 (5.0\xe2\x80\x936.8)", "max": 6.8}, "rmse": 19.1} '
         b"trained in 6.1 s &#x27;seconds&#x27;: 3.7, &#x27;seconds_median&#x27;: 27.1 "
         b'"minutes": 2 # took about 2 min # \xec\x95\xbd 2\xeb\xb6\x84')
    assert without_durations(a) == without_durations(b)
    assert without_durations(a) != without_durations(a.replace(b"19.1", b"19.2"))  # a result is not a duration
