"""Declaring jobs and finding them from the source, without importing job modules."""

import sys
from pathlib import Path

import pytest

from snippets.build import figure, output, values
from snippets.build.jobs import JobDeclarationError, discover, jobs_in_source, topological
from snippets.build.runner import make_plan

REPO = Path(__file__).resolve().parents[2]


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
        "@figure('heat', page='vit/attention-map', needs=('v',), format='png', timeout=30, quick={'n': 2})\n"
        "def f(theme, v): ...\n")
    assert (spec.id, spec.kind, spec.page, spec.needs, spec.format) == ("heat", "figure", "vit/attention-map",
                                                                         ("v",), "png")
    assert spec.params == {"format": "png"} and (spec.timeout, spec.quick) == (30, {"n": 2})
    assert spec.function == "f" and spec.line == 2


def test_module_level_constants_may_stand_for_literals():
    (spec,) = parse(
        "from snippets.build import values\n"
        "WEIGHTS = ('$W', '~/w.pt')\nPAGE: str = 'a/b'\nSTEPS = 3\n"
        "@values('w', page=PAGE, external=WEIGHTS, quick={'steps': 1})\ndef w(steps=STEPS): ...\n")
    assert (spec.page, spec.external) == ("a/b", ("$W", "~/w.pt"))


@pytest.mark.parametrize("source, message", [
    ("X = make()\n@values('n', page=X)\ndef n(): ...\n", r"argument 'page' must be a literal or a module-level "
                                                            r"constant bound to one.*got `X`"),
    ("@values('n', page='a/b', size=3)\ndef n(): ...\n", r"has no argument size"),
    ("@values('n', page='gelu')\ndef n(): ...\n", r'page must look like "<section>/<slug>"'),
    ("@values('n', page='a/b', timeout=0)\ndef n(): ...\n", r"timeout must be a positive number"),
    ("@values('n', page='a/b', quick=[1])\ndef n(): ...\n", r"quick must be a dict of keyword arguments"),
    ("@values('n', page='a/b', files=('a/b.pt',))\ndef n(): ...\n", r"files must be plain file names"),
])
def test_the_decorators_and_the_source_reader_refuse_the_same_declarations(source, message):
    with pytest.raises(JobDeclarationError, match=message):
        parse("from snippets.build import values\n" + source)
    if "make()" not in source:  # the same call at run time (a constant only exists in the source)
        call = source.split("\n")[0].removeprefix("@")
        with pytest.raises(JobDeclarationError, match=message):
            eval(call, {"values": values})


def test_aliases_are_followed_and_other_decorators_ignored():
    specs = parse(
        "import functools\nfrom snippets.build import values as v\n"
        "@functools.cache\ndef helper(): ...\n"
        "@v('n', page='a/b')\ndef n(): ...\n")
    assert [s.id for s in specs] == ["n"]


def test_non_literal_argument_is_a_clear_error():
    with pytest.raises(JobDeclarationError, match=r"m.py:3: argument 'page' must be a literal.*page_of\(1\)"):
        parse("from snippets.build import values\nPAGE = 'a/b'\n@values('n', page=page_of(1))\ndef n(): ...\n")


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
    with pytest.raises(JobDeclarationError, match=r"m.py:2: external must be a tuple of non-empty strings"):
        parse(f"from snippets.build import figure\n@figure('f', page='a/b', external={value})\ndef f(theme): ...\n")
    with pytest.raises(JobDeclarationError, match=r"@values\('v'\): external must be a tuple"):
        values("v", page="a/b", external=eval(value))


def test_decorator_records_external_patterns():
    @output("o", page="a/b", external=("$WEIGHTS",))
    def fn():
        pass

    assert fn.__job__["external"] == ("$WEIGHTS",) and fn.__job__["params"] == {"raises": None}


def test_a_page_that_does_not_exist_is_an_error_naming_module_and_line(project):
    pkg = project({"jobs.py": "from snippets.build import values\n\n@values('v', page='a/b')\ndef v(): ...\n"})
    assert set(discover(pkg, pages={"a/b"})) == {"v"}
    with pytest.raises(JobDeclarationError, match=r"jobs\.py:3: job 'v' names page 'a/b', but there is no such page"):
        discover(pkg, pages={"c/d"})


def test_the_build_machinery_has_no_import_cycles():
    """No module of snippets/build imports, directly or not and at any depth of its code, a module
    that imports it back (the package's own __init__ aside, which every submodule passes through)."""
    from snippets.build.deps import ProjectGraph

    graph = ProjectGraph(REPO / "snippets")
    build = {name for name in graph.modules if name.startswith("snippets.build.")}
    edges = {name: {graph._resolve(i) for i in graph.modules[name].imports} & build for name in build}
    cycles = []

    def visit(name, chain):
        if name in chain:
            cycles.append(" -> ".join(chain[chain.index(name):] + [name]))
            return
        for target in sorted(edges[name]):
            visit(target, chain + [name])

    for name in sorted(build):
        visit(name, [])
    assert cycles == []
