"""Declaring jobs and finding them from the source, without importing job modules."""

import sys
from pathlib import Path

import pytest

from snippets.build import figure, output, values
from snippets.build.jobs import JobDeclarationError, discover, jobs_in_source, topological
from snippets.build.runner import make_plan

REPO = Path(__file__).resolve().parents[1]


def parse(source: str):
    return jobs_in_source(source, Path("m.py"), "snippets.m")


def test_decorators_leave_the_function_callable():
    @values("a-b", page="x/y")
    def fn():
        return {"v": 1}

    assert fn() == {"v": 1}
    assert fn.__job__["id"] == "a-b" and fn.__job__["kind"] == "values"


def test_decorator_rejects_bad_ids_and_formats():
    with pytest.raises(JobDeclarationError, match="kebab-case"):
        output("Bad_Id", page="x/y")
    with pytest.raises(JobDeclarationError, match="format must be one of"):
        figure("ok", page="x/y", format="jpg")


def test_static_discovery_reads_literal_arguments():
    (spec,) = parse(
        "from snippets.build import figure\n"
        "@figure('heat', page='vit/attention-map', needs=('v',), format='png', size=3)\n"
        "def f(theme, v): ...\n")
    assert (spec.id, spec.kind, spec.page, spec.needs, spec.format) == ("heat", "figure", "vit/attention-map",
                                                                         ("v",), "png")
    assert spec.params == {"format": "png", "size": 3}
    assert spec.function == "f" and spec.line == 2


def test_aliases_are_followed_and_other_decorators_ignored():
    specs = parse(
        "import functools\nfrom snippets.build import values as v\n"
        "@functools.cache\ndef helper(): ...\n"
        "@v('n', page='a/b')\ndef n(): ...\n")
    assert [s.id for s in specs] == ["n"]


def test_non_literal_argument_is_a_clear_error():
    with pytest.raises(JobDeclarationError, match=r"m.py:3: argument 'page' must be a literal.*PAGE"):
        parse("from snippets.build import values\nPAGE = 'a/b'\n@values('n', page=PAGE)\ndef n(): ...\n")


def test_missing_page_is_a_clear_error():
    with pytest.raises(JobDeclarationError, match="needs page="):
        parse("from snippets.build import values\n@values('n')\ndef n(): ...\n")


def test_duplicate_ids_unknown_needs_and_cycles(project):
    pkg = project({"a.py": """
        from snippets.build import values
        @values("x", page="p/q")
        def x(): ...
        """, "b.py": """
        from snippets.build import values
        @values("x", page="p/q")
        def x2(): ...
        """})
    with pytest.raises(JobDeclarationError, match="declared twice"):
        discover(pkg)
    (pkg / "b.py").write_text("from snippets.build import values\n@values('y', page='p/q', needs=('zz',))\n"
                              "def y(): ...\n")
    with pytest.raises(JobDeclarationError, match="needs unknown job 'zz'"):
        discover(pkg)
    (pkg / "b.py").write_text("from snippets.build import values\n@values('y', page='p/q', needs=('z',))\n"
                              "def y(): ...\n@values('z', page='p/q', needs=('y',))\ndef z(): ...\n")
    with pytest.raises(JobDeclarationError, match="cycle"):
        discover(pkg)


def test_topological_order_puts_needs_first(project):
    pkg = project({"a.py": """
        from snippets.build import figure, values
        @figure("plot", page="p/q", needs=("data",))
        def plot(theme, data): ...
        @values("data", page="p/q")
        def data(): ...
        """})
    jobs = discover(pkg)
    assert topological(jobs, ["plot"]) == ["data", "plot"]


def test_real_project_plan_imports_no_job_module():
    before = set(sys.modules)
    plan = make_plan()
    assert "gelu-digits" in plan.jobs and plan.jobs["gelu-digits"].page == "activations/gelu"
    imported = set(sys.modules) - before
    assert not any(m.startswith("snippets.activations") for m in imported)
    assert "torch" not in imported


def test_external_patterns_are_read_statically_and_kept_apart_from_params():
    (spec,) = parse("from snippets.build import values\n"
                    "@values('w', page='a/b', external=('$WEIGHTS', '~/hub/*/model.safetensors'))\n"
                    "def w(): ...\n")
    assert spec.external == ("$WEIGHTS", "~/hub/*/model.safetensors") and spec.params == {}
    (plain,) = parse("from snippets.build import output\n@output('o', page='a/b')\ndef o(): ...\n")
    assert plain.external == ()


@pytest.mark.parametrize("value", ["'$WEIGHTS'", "('$WEIGHTS', '')", "['$WEIGHTS']", "(1,)"])
def test_external_must_be_a_tuple_of_non_empty_patterns(value):
    with pytest.raises(JobDeclarationError, match=r"m.py:2: external must be a tuple of non-empty path patterns"):
        parse(f"from snippets.build import figure\n@figure('f', page='a/b', external={value})\ndef f(theme): ...\n")
    with pytest.raises(JobDeclarationError, match=r"@values\('v'\): external must be a tuple"):
        values("v", page="a/b", external=eval(value))


def test_decorator_records_external_patterns():
    @output("o", page="a/b", external=("$WEIGHTS",))
    def fn():
        pass

    assert fn.__job__["external"] == ("$WEIGHTS",) and fn.__job__["params"] == {"raises": None}
