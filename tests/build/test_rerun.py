"""rerun(): one build job run again outside the build, as a notebook's redraw cells call it."""

from __future__ import annotations

import importlib
import json
import sys
import textwrap

import pytest
import torch

from snippets.build import rerun as rerun_module
from snippets.build import worker
from snippets.build.rerun import rerun

MODULE = textwrap.dedent('''
    import torch
    from matplotlib.figure import Figure

    from snippets.build import figure, output, values

    CALLS = []


    @values("noise", page="x/y")
    def noise(n=3):
        CALLS.append("noise")
        return {"noise": torch.rand(n).tolist()}


    @figure("noise-plot", page="x/y", needs=("noise",))
    def noise_plot(theme, noise):
        fig = Figure(figsize=(2, 2))
        ax = fig.subplots()
        ax.plot(noise["noise"], color=theme.colors[0])
        ax.set_title(theme.text(ko="잡음", en="noise"))
        return fig


    @output("noise-print", page="x/y")
    def noise_print():
        print(torch.rand(1).item())
''')


@pytest.fixture
def jobs(tmp_path, monkeypatch):
    """A fresh article module with a values job, a figure that needs it and an output job,
    and an empty working folder (a notebook's)."""
    package = tmp_path / "pkg" / "snippets_rerun_test"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "article.py").write_text(MODULE)
    monkeypatch.syspath_prepend(str(tmp_path / "pkg"))
    sys.modules.pop("snippets_rerun_test.article", None)
    monkeypatch.setattr(rerun_module, "_results", {})
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    yield importlib.import_module("snippets_rerun_test.article")
    sys.modules.pop("snippets_rerun_test.article", None)


def test_values_are_seeded_as_in_the_build_and_written_where_the_build_writes_them(jobs, tmp_path):
    result = rerun(jobs.noise)
    worker.seed_everything()
    assert result == {"noise": torch.rand(3).tolist()}  # the worker's seeding, then the job
    assert json.loads((tmp_path / "work" / "rerun" / "noise" / "values.json").read_text()) == result


def test_a_figure_runs_its_needs_first_and_is_drawn_in_the_language_asked(jobs, tmp_path):
    shown = rerun(jobs.noise_plot, lang="ko")
    path = tmp_path / "work" / "rerun" / "noise-plot" / "ko-light.svg"
    assert path.read_text().startswith("<?xml") and "<svg" in path.read_text()
    assert type(shown).__name__ == "SVG" and "<svg" in shown.data  # IPython's, shown by a notebook
    assert jobs.CALLS == ["noise"]
    # the figure file is the worker's: the same job drawn by the build's own code gives the same bytes
    build = tmp_path / "build"
    build.mkdir()
    worker.seed_everything()
    needs = {"noise": json.loads((tmp_path / "work" / "rerun" / "noise" / "values.json").read_text())}
    worker._figure(jobs.noise_plot, needs, {"id": "noise-plot", "params": {"format": "svg",
                                                                          "variants": ["ko-light"]}}, build)
    assert (build / "ko-light.svg").read_bytes() == path.read_bytes()


def test_the_same_values_code_runs_once_per_session_unless_asked_again(jobs):
    first = rerun(jobs.noise)
    rerun(jobs.noise_plot)
    assert jobs.CALLS == ["noise"]
    # the same source defined again (a notebook cell) is the same code: not run again
    namespace = {}
    exec(compile(textwrap.dedent(MODULE), "<notebook cell>", "exec"), namespace)
    assert rerun(namespace["noise"]) == first and jobs.CALLS == ["noise"]
    rerun(jobs.noise, again=True)
    assert jobs.CALLS == ["noise", "noise"]
    first["noise"].clear()  # what the caller got is a copy
    assert rerun(jobs.noise)["noise"]


def test_a_need_defined_next_to_the_job_wins_over_the_module(jobs):
    """A notebook that redefines a values job draws the figure from its own version."""
    namespace = {}
    exec(compile(MODULE.replace("torch.rand(n)", "torch.zeros(n)"), "<notebook cell>", "exec"), namespace)
    rerun(namespace["noise_plot"])
    assert namespace["CALLS"] == ["noise"] and jobs.CALLS == []


def test_an_output_job_prints_what_the_build_would_show(jobs, capsys):
    assert rerun(jobs.noise_print) is None
    worker.seed_everything()
    assert capsys.readouterr().out == f"{torch.rand(1).item()}\n"


def test_bad_calls_say_what_was_expected(jobs):
    with pytest.raises(ValueError, match=r"takes a job function .* got <built-in function len>"):
        rerun(len)
    with pytest.raises(ValueError, match=r"lang must be a language the figures are drawn in \(ko, en\), got 'fr'"):
        rerun(jobs.noise_plot, lang="fr")
    namespace = {}
    exec(compile(MODULE.replace('needs=("noise",)', 'needs=("missing",)'), "<cell>", "exec"), namespace)
    with pytest.raises(ValueError, match=r"job 'noise-plot' needs 'missing', but no function with that job id"):
        rerun(namespace["noise_plot"])
