"""Reading time of a page (snippets/build/reading_time.py), on pages the tests write."""

from __future__ import annotations

import os

import pytest

from snippets.build import reading_time

PAGE = """\
---
description: not counted
---

# A title

One two three four five six, {{ some-job.value:.2f }} seven.
![alt text words](figure:some-figure){ .thumbnail }

```python
--8<-- "snippets/demo.py:part"
```

```text
these words are in a fence
```
"""
CODE = """\
# --8<-- [start:part]
a = 1

b = 2
# --8<-- [end:part]
"""


@pytest.fixture
def site(tmp_path):
    (tmp_path / "docs" / "sec").mkdir(parents=True)
    (tmp_path / "snippets").mkdir()
    (tmp_path / "snippets" / "demo.py").write_text(CODE)
    (tmp_path / "docs" / "sec" / "page.en.md").write_text(PAGE)
    return tmp_path


def test_prose_leaves_out_front_matter_fences_placeholders_and_link_targets():
    assert reading_time.prose_words(PAGE) == len("A title One two three four five six, seven. alt text words".split())


def test_listings_count_their_non_blank_lines(site):
    assert reading_time.code_lines(PAGE, site) == 2


def test_minutes_add_prose_and_code_at_their_rates_and_round_up(site, monkeypatch):
    monkeypatch.setitem(reading_time.WORDS_PER_MINUTE, "en", 4)  # 12 words: 3 minutes
    monkeypatch.setattr(reading_time, "CODE_LINES_PER_MINUTE", 1)  # 2 lines: 2 minutes
    assert reading_time.minutes_in("sec/page", "en", site / "docs", site) == 5
    assert reading_time.minutes("sec/page", ["en"], site / "docs", site) == 5
    monkeypatch.setitem(reading_time.WORDS_PER_MINUTE, "en", 1000)
    monkeypatch.setattr(reading_time, "CODE_LINES_PER_MINUTE", 1000)
    assert reading_time.minutes("sec/page", ["en"], site / "docs", site) == 1  # never 0


def test_every_language_states_the_same_minutes_the_mean_rounded_up(site, monkeypatch):
    (site / "docs" / "sec" / "page.ko.md").write_text("# 제목\n\n" + "낱말 " * 22)  # 24 words
    monkeypatch.setitem(reading_time.WORDS_PER_MINUTE, "en", 4)  # 3 + 2 minutes
    monkeypatch.setitem(reading_time.WORDS_PER_MINUTE, "ko", 4)  # 6 minutes
    monkeypatch.setattr(reading_time, "CODE_LINES_PER_MINUTE", 1)
    assert reading_time.minutes("sec/page", ["ko", "en"], site / "docs", site) == 6  # ceil(5.5)


def test_bad_input_says_what_was_expected(site):
    with pytest.raises(ValueError, match="no reading rate for language 'xx'"):
        reading_time.minutes("sec/page", ["xx"], site / "docs", site)
    with pytest.raises(FileNotFoundError, match="sec/missing.en.md"):
        reading_time.minutes("sec/missing", ["en"], site / "docs", site)


def test_a_listing_is_counted_again_when_its_file_changes(site):
    assert reading_time.code_lines(PAGE, site) == 2
    demo = site / "snippets" / "demo.py"
    demo.write_text(CODE.replace("b = 2\n", "b = 2\nc = 3\n"))
    stat = demo.stat()
    os.utime(demo, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert reading_time.code_lines(PAGE, site) == 3
