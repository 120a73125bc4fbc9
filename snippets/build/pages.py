"""Fills a page's placeholders from job results. Plain text in, Markdown out; no MkDocs here.

What a writer puts in a page (``docs/<section>/<slug>.<lang>.md``; the patterns are in
:mod:`snippets.build.syntax`):

``{{ job-id.key }}`` or ``{{ job-id.key:.2e }}``
    a value computed by a ``values`` job, formatted with a Python format spec. The single
    spaces inside the braces are part of the syntax, so LaTeX such as ``e^{{x}}`` is left alone.
    Inside math, ``{{ job-id.key:.2e|tex }}`` writes ``4.73e-04`` as ``4.73 \\times 10^{-4}``.
``{{ output job-id }}``
    what an ``output`` job printed, as a code block titled "출력"/"Output".
``![alt text](figure:job-id)``
    a figure job, shown as the page language's light and dark files (Material's
    ``#only-light``/``#only-dark``).
``{{ measured_on job-id }}``
    one line naming the CPU, the torch release and the thread count the job ran on (from its
    cache manifest): put it under every table, figure or paragraph whose numbers are timings.
``{{ reading_time section/slug }}``
    the minutes a page takes to read (the home page's cards).
``{{ if job-id.key }}`` ... ``{{ else }}`` ... ``{{ end }}``, each on a line of its own
    the first part when the values job's ``key`` is truthy, else the second (``{{ else }}`` is
    optional; ``{{ if not job-id.key }}`` inverts). Blocks are resolved before anything else,
    so the part left out is not rendered and the jobs it names are not used. Blocks do not nest.
    When the condition's job failed, neither part is shown, only the failure.

A placeholder that stands at the start of an indented line (inside an admonition, say) keeps
that indentation on every line it expands to.

An unknown job, key or directive is an error: :func:`render` returns it, and the build fails.
A job that failed becomes an error box with its traceback, so ``make serve`` keeps serving.

:func:`render` runs four passes over the text, each a method of :class:`_Page`: ``blocks``,
``figures``, ``placeholders``, then ``failures`` (the boxes under the title).
"""

from __future__ import annotations

import math
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import reading_time, ui, variants
from .languages import split_page_file
from .runner import BuildResult, JobResult
from .shards import AFTER_MERGE_LABEL
from .syntax import BLOCK, CONDITION, ELSE, END, FIGURE, IF, MEASURED_ON, OUTPUT, PLACEHOLDER, READING_TIME, VALUE

NOTEBOOK_HTML = "<!-- notebook-html -->"  # replaced by the rendered notebook after Markdown
MISSING = object()  # a key a values job does not have
FAILED = object()  # a condition whose job failed
PENDING = object()  # a condition whose job is still running (`mkdocs serve`)

# The class of the collapsed "code for this figure/table" blocks the build adds (a writer's own
# folded listing, in a ``??? note`` block, has none): the site tests tell the two apart by it.
JOB_CODE_CLASS = "job-code"
# The class of the notices that stand in for a job still running under `mkdocs serve`.
PENDING_CLASS = "job-pending"


@dataclass
class Rendered:
    markdown: str
    errors: list[str] = field(default_factory=list)  # writer errors: unknown jobs, keys, syntax
    failed_jobs: list[str] = field(default_factory=list)  # referenced jobs that failed
    jobs: set[str] = field(default_factory=set)  # every job the page uses
    named: set[str] = field(default_factory=set)  # every job the page names, in a part left out too


def render(markdown: str, *, src_uri: str, lang: str, build: BuildResult, first_line: int = 1,
           notice: str = "", docs_dir: Path | None = None) -> Rendered:
    """``markdown`` (a page in ``lang``) with its blocks, figures and placeholders filled in.

    ``first_line``: the line of the page file that ``markdown`` starts on (after the front
    matter), for the line numbers of errors. ``notice``: a block to show under the title, after
    the failure boxes (the hook's notebook link). ``docs_dir``: where the pages are, for
    ``{{ reading_time <page> }}``.
    """
    page = _Page(src_uri, lang, build, first_line, docs_dir)
    page.out.named = named_jobs(markdown)
    text = page.blocks(markdown)
    text = page.tables(text)
    text = _substitute(FIGURE, page.figure, text)
    text = _substitute(PLACEHOLDER, page.placeholder, text)
    page.out.markdown = page.failures(text, notice)
    return page.out


def named_jobs(markdown: str) -> set[str]:
    """The ids of the jobs a page names anywhere, whichever part of an ``{{ if }}`` is shown."""
    names = {m.group("id") for m in FIGURE.finditer(markdown)}
    for m in PLACEHOLDER.finditer(markdown):
        body = m.group(1).strip()
        found = OUTPUT.match(body) or VALUE.match(body) or CONDITION.match(body.removeprefix("if "))
        if found:
            names.add(found.group("id"))
    return names


def _substitute(pattern: re.Pattern, replace, text: str) -> str:
    """``pattern.sub(replace, text)``, where a replacement of several lines continues at the
    indentation of the line it starts on (an output block inside an admonition stays inside)."""

    def sub(m: re.Match) -> str:
        new = replace(m)
        lead = text[text.rfind("\n", 0, m.start()) + 1: m.start()]
        return new.replace("\n", "\n" + lead) if "\n" in new and lead and not lead.strip() else new

    return pattern.sub(sub, text)


class _Page:
    """One page being rendered: where it is, what it has used, and the errors found so far."""

    def __init__(self, src_uri: str, lang: str, build: BuildResult, first_line: int, docs_dir: Path | None):
        self.src_uri, self.lang, self.build, self.first_line = src_uri, lang, build, first_line
        self.docs_dir = docs_dir
        self.out = Rendered("")
        self.tabled: set[str] = set()  # values jobs whose code stands under a table of this page

    def job(self, job_id: str, kind: str | None, where: str) -> JobResult | None:
        """The result of a job the page names (of ``kind``, or any kind for None), counted as
        used; None (and an error) if unknown."""
        r = self.build.results.get(job_id)
        if r is None:
            self.out.errors.append(f"{self.src_uri}: {where} names unknown job {job_id!r}")
            return None
        if kind is not None and r.spec.kind != kind:
            self.out.errors.append(f"{self.src_uri}: {where} names {job_id!r}, a {r.spec.kind} job, not a {kind} job")
            return None
        self.out.jobs.add(job_id)
        if r.status == "failed" and job_id not in self.out.failed_jobs:
            self.out.failed_jobs.append(job_id)
        return r

    def value(self, r: JobResult, key: str, where: str):
        """The value under ``key`` (dotted) in the values of job ``r``, or MISSING (an error)."""
        value = self.build.values(r.spec.id)
        for part in key.split("."):
            if not isinstance(value, dict) or part not in value:
                known = ", ".join(sorted(self.build.values(r.spec.id)))
                self.out.errors.append(f"{where}: job {r.spec.id!r} has no value {key!r} (it has: {known})")
                return MISSING
            value = value[part]
        return value

    def failed_box(self, r: JobResult) -> str:
        return error_box(f"{ui.text('job_failed', self.lang)}: {r.spec.id}", r.error or "")

    def pending(self, r: JobResult, what: str) -> str:
        """The notice that stands where a pending job's ``what`` ("figure", "output", "value",
        "block") will go, with the time left when it is known: a paragraph, or (a value)
        words in the sentence."""
        text = ui.text(f"pending_{what}", self.lang)
        eta = None if r.eta is None else ui.text("pending_eta", self.lang, n=max(1, math.ceil(r.eta)))
        if what == "value":  # "(still being computed, about 40 s left)"
            return f"*({text}{', ' + eta if eta else ''})*"
        return f"{text}{f' ({eta})' if eta else ''}\n{{: .{PENDING_CLASS} }}"

    # --- pass 1: {{ if }} blocks ------------------------------------------------------------

    def blocks(self, text: str) -> str:
        """Keep one part of each ``{{ if }}`` block. This runs before any other substitution, so
        the part left out is neither rendered nor counted as used."""
        lines = text.split("\n")
        kept: list[str] = []
        block = None  # the open block: line, show (True, False, FAILED or None), job, in_else
        for n, line in enumerate(lines, self.first_line):
            d = BLOCK.match(line)
            if d is None:
                if block is None or block["show"] == (not block["in_else"]):  # FAILED/None: neither part
                    kept.append(line)
                continue
            problem = self._block_problem(d.group("word"), d.group("rest"), block)
            if problem:  # the page fails: say where, and show every part without the block lines
                self.out.errors.append(f"{self.src_uri}: line {n}: {problem}")
                return "\n".join(x for x in lines if not BLOCK.match(x))
            if d.group("word") == "if":
                show, job_id = self.condition(d.group("rest") or "", n)
                block = {"line": n, "show": show, "job": job_id, "in_else": False}
            elif d.group("word") == "else":
                block["in_else"] = True
            else:
                if block["show"] is FAILED:  # marked where the block was, as a failed value is
                    kept.append(f"**⚠ {ui.text('value_failed', self.lang)}: {block['job']}**")
                elif block["show"] is PENDING:
                    kept.append(self.pending(self.build.results[block["job"]], "block"))
                block = None
        if block is not None:
            self.out.errors.append(f"{self.src_uri}: line {block['line']}: {IF} without {END}")
            return "\n".join(x for x in lines if not BLOCK.match(x))
        return "\n".join(kept)

    @staticmethod
    def _block_problem(word: str, rest: str | None, block: dict | None) -> str | None:
        if word == "if" and block is not None:
            return f"{IF} inside the {IF} of line {block['line']}: blocks do not nest"
        if word != "if" and rest is not None:
            return f"{{{{ {word} }}}} takes nothing after it"
        if word != "if" and block is None:
            return f"{{{{ {word} }}}} without an open {IF}"
        if word == "else" and block["in_else"]:
            return f"a second {ELSE} in the {IF} of line {block['line']}"
        return None

    def condition(self, text: str, n: int):
        """(show, job id) of ``{{ if text }}``: show is True or False, FAILED when the job failed,
        None after an error."""
        where = f"line {n}: {{{{ if {text} }}}}"
        c = CONDITION.match(text)
        if c is None:
            self.out.errors.append(f"{self.src_uri}: {where}: expected {{{{ if job-id.key }}}} "
                                   "or {{ if not job-id.key }}")
            return None, None
        r = self.job(c.group("id"), "values", where)
        if r is None:
            return None, None
        if r.status == "failed":
            return FAILED, r.spec.id
        if r.status == "pending":
            return PENDING, r.spec.id
        value = self.value(r, c.group("key"), f"{self.src_uri}: {where}")
        return (None if value is MISSING else bool(value) != bool(c.group("not"))), r.spec.id

    # --- code for figures and tables -----------------------------------------------------------

    def code_block(self, results: list[JobResult], label: str) -> str:
        """A collapsed block with the source of the jobs that made a figure or table (and of the
        values jobs they need, unless a table of the page already shows that code), included
        from ``snippets/`` by line range like any listing. Only under this article's own jobs:
        the home page's thumbnails get none."""
        own = split_page_file(self.src_uri, self.build.langs)
        if self.docs_dir is None or own is None:
            return ""
        root, shown = self.docs_dir.parent.resolve(), []
        for r in results:
            needs = [self.build.results[n].spec for n in r.spec.needs
                     if n in self.build.results and n not in self.tabled]
            for spec in [r.spec, *needs]:
                if spec.page == own[0] and spec.end_line and spec not in shown:
                    shown.append(spec)
        if not shown:
            return ""
        lines = ["", "", f'??? example {JOB_CODE_CLASS} "{ui.text(label, self.lang)}"']
        for spec in shown:
            path = Path(spec.path).resolve().relative_to(root).as_posix()
            include = f'--8<-- "{path}:{spec.line}:{spec.end_line}"'
            lines += ["", f'    ```python title="{path}"', f"    {include}", "    ```"]
        return "\n".join(lines)

    def tables(self, text: str) -> str:
        """After every Markdown table that shows values of this article's jobs, the code that
        computed them."""
        lines, out, table = text.split("\n"), [], []

        def flush():
            ids = [v.group("id") for cell in table for m in PLACEHOLDER.finditer(cell)
                   if (v := VALUE.match(m.group(1).strip())) and v.group("id") in self.build.results]
            jobs = [self.build.results[i] for i in dict.fromkeys(ids)]
            self.tabled.update(ids)
            out.extend(table)
            if table and jobs:
                lead = table[-1][: len(table[-1]) - len(table[-1].lstrip())]
                block = self.code_block(jobs, "code_for_table")
                out.extend((lead + line if line else line) for line in block.split("\n")[1:])
            table.clear()

        for line in lines:
            if line.lstrip().startswith("|"):
                table.append(line)
                continue
            flush()
            out.append(line)
        flush()
        return "\n".join(out)

    # --- pass 2: figures --------------------------------------------------------------------

    def figure(self, m: re.Match) -> str:
        job_id, alt = m.group("id"), m.group("alt").strip()
        r = self.job(job_id, "figure", f"figure:{job_id}")
        if r is None:
            return m.group(0)
        if not alt:
            self.out.errors.append(f"{self.src_uri}: figure {job_id!r} has no alt text")
        if r.status == "failed":
            return self.failed_box(r)
        if r.status == "pending":
            return self.pending(r, "figure")
        here = posixpath.dirname(self.src_uri) or "."
        shown = []
        attrs = f'.figure {(m.group("attrs") or "").strip()}'.strip()
        for theme in variants.THEMES:
            variant = f"{self.lang}-{theme}"
            uri = variants.site_uri(job_id, variant, r.spec.format)
            width, height = variants.pixel_size(r.artifact(variants.artifact(variant, r.spec.format)))
            shown.append(f"![{alt}]({posixpath.relpath(uri, here)}#only-{theme})"
                         f"{{ {attrs} width={width} height={height} }}")
        return "\n".join(shown) + self.code_block([r], "code_for_figure")

    # --- pass 3: values and outputs ---------------------------------------------------------

    def placeholder(self, m: re.Match) -> str:
        body = m.group(1).strip()
        if o := OUTPUT.match(body):
            return self.output(m, o.group("id"))
        if v := VALUE.match(body):
            return self.formatted(m, v)
        if t := READING_TIME.match(body):
            return self.reading_time(m, t.group("page"))
        if t := MEASURED_ON.match(body):
            return self.measured_on(m, t.group("id"))
        if body.split(" ")[0] in ("if", "else", "end"):
            self.out.errors.append(f"{self.src_uri}: {m.group(0)}: {IF}, {ELSE} and {END} must each stand "
                                   "on a line of their own")
        else:
            self.out.errors.append(f"{self.src_uri}: unknown placeholder {m.group(0)!r} "
                                   "(expected {{ job-id.key }}, {{ job-id.key:fmt }}, {{ output job-id }}, "
                                   "{{ measured_on job-id }} or {{ reading_time section/slug }})")
        return m.group(0)

    def reading_time(self, m: re.Match, page: str) -> str:
        if self.docs_dir is None:
            self.out.errors.append(f"{self.src_uri}: {m.group(0)}: the build gave no docs folder to read it from")
            return m.group(0)
        try:
            return str(reading_time.minutes(page, self.build.langs, self.docs_dir, self.docs_dir.parent))
        except (OSError, ValueError) as exc:
            self.out.errors.append(f"{self.src_uri}: {m.group(0)}: {exc}")
            return m.group(0)

    def measured_on(self, m: re.Match, job_id: str) -> str:
        """One line saying on which CPU, torch release and thread count ``job_id`` ran, as its cache
        manifest recorded it (timings mean little without it)."""
        r = self.job(job_id, None, m.group(0))
        if r is None:
            return m.group(0)
        if r.status == "failed":
            return f"**⚠ {ui.text('value_failed', self.lang)}: {r.spec.id}**"
        if r.status == "pending":
            return self.pending(r, "value")
        machine = r.manifest().get("machine")
        if not machine or machine.get("threads") is None:
            self.out.errors.append(f"{self.src_uri}: {m.group(0)}: job {job_id!r} recorded no machine (it ran "
                                   "without torch, or before the build recorded machines: run it again with "
                                   f"`python -m snippets.build run --force {job_id}`)")
            return m.group(0)
        count = machine["threads"]
        threads = ui.text("threads_one" if count == 1 else "threads_many", self.lang, n=count)
        line = ui.text("measured_on", self.lang, cpu=machine["cpu"], torch=machine["torch"], threads=threads)
        return f"*{line}*"

    def output(self, m: re.Match, job_id: str) -> str:
        r = self.job(job_id, "output", m.group(0))
        if r is None:
            return m.group(0)
        if r.status == "failed":
            return self.failed_box(r)
        if r.status == "pending":
            return self.pending(r, "output")
        # class "output": the stylesheet wraps long output lines instead of scrolling them away
        return _fence(self.build.output(job_id), f'{{ .text .output title="{ui.text("output", self.lang)}" }}')

    def formatted(self, m: re.Match, v: re.Match) -> str:
        r = self.job(v.group("id"), "values", m.group(0))
        if r is None:
            return m.group(0)
        if r.status == "failed":
            return f"**⚠ {ui.text('value_failed', self.lang)}: {r.spec.id}**"
        if r.status == "pending":  # inside math (|tex), words would not typeset
            return r"\text{...}" if v.group("filter") == "tex" else self.pending(r, "value")
        value = self.value(r, v.group("key"), f"{self.src_uri}: {m.group(0)}")
        if value is MISSING:
            return m.group(0)
        try:
            text = format(value, v.group("fmt") or "")
        except (ValueError, TypeError) as exc:
            self.out.errors.append(f"{self.src_uri}: {m.group(0)}: cannot format {value!r}: {exc}")
            return m.group(0)
        if v.group("filter") is None:
            return text
        if v.group("filter") == "tex":
            return _tex_number(text)
        self.out.errors.append(f"{self.src_uri}: {m.group(0)}: unknown filter {v.group('filter')!r} (known: tex)")
        return m.group(0)

    # --- pass 4: failure boxes and the notice under the title -------------------------------

    def failures(self, text: str, notice: str) -> str:
        title = ui.text("job_failed", self.lang)
        boxes = [error_box(f"{title}: {j} ({self.build.results[j].spec.page})", self.build.results[j].error or "")
                 for j in self.out.failed_jobs]
        if boxes or notice:
            text = after_title(text, "\n\n".join(boxes + ([notice] if notice else [])))
        return text


def _tex_number(text: str) -> str:
    """``4.73e-04`` -> ``4.73 \\times 10^{-4}``; a minus sign and no exponent pass through.
    Zero is written ``0`` (not ``0.0 \\times 10^{0}``), and a power of ``10^{0}`` is left out."""
    m = re.fullmatch(r"([-+]?[\d.]+)[eE]([-+]?)0*(\d+)", text)
    if not m:
        return text
    mantissa, sign, exponent = m.groups()
    if float(mantissa) == 0:
        return "0"
    if int(exponent) == 0:
        return mantissa
    return f"{mantissa} \\times 10^{{{'-' if sign == '-' else ''}{exponent}}}"


def _fence(text: str, info: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{text.rstrip()}\n{ticks}"


def error_box(title: str, error: str) -> str:
    body = _fence(error, "text")
    return f'!!! failure "{title}"\n\n' + "\n".join("    " + line if line else "" for line in body.splitlines())


def after_title(text: str, block: str) -> str:
    """Insert ``block`` after the page's first heading (or at the top)."""
    m = re.search(r"^# .*$", text, flags=re.M)
    if not m:
        return block + "\n\n" + text
    return text[: m.end()] + "\n\n" + block + "\n" + text[m.end():]


def page_title(markdown: str) -> str:
    m = re.search(r"^# (.+)$", markdown, flags=re.M)
    return m.group(1).strip() if m else ""


# --- pages and blocks the build adds ---------------------------------------------------------


def notebook_box(lang: str, name: str, redraws: set[str] = frozenset()) -> str:
    """The admonition an article shows under its title, linking its notebook page and file.
    ``redraws``: the kinds ("figure", "table") the notebook has cells to make again."""
    kinds = _redrawn(redraws)
    return ui.text("notebook_box", lang, name=name,
                   redraws=ui.text(f"notebook_redraws_{kinds}", lang) if kinds else "")


def _redrawn(redraws) -> str:
    """"figure", "table", "figure_table" or "": the suffix of the UI strings that say so."""
    return "_".join(k for k in ("figure", "table") if k in redraws)


def notebook_page(lang: str, title: str, name: str, redraws: set[str] = frozenset()) -> str:
    """The Markdown of a notebook page; the rendered notebook replaces NOTEBOOK_HTML.
    ``redraws``: as for :func:`notebook_box`."""
    heading = ui.text("notebook_title", lang, title=title)
    description = ui.text("notebook_description", lang, title=title).replace('"', "'")
    kinds = _redrawn(redraws)
    intro = ui.text("notebook_intro", lang, title=title, name=name,
                    redraws=ui.text(f"notebook_intro_redraws_{kinds}", lang) if kinds else "")
    return (f'---\ntitle: "{heading}"\ndescription: "{description}"\n---\n\n# {heading}\n\n'
            f'{intro}\n\n{NOTEBOOK_HTML}\n')


def build_report(lang: str, build: BuildResult, articles: dict[str, str], environment: dict[str, str]) -> str:
    """The build report page: where and with what the build ran, then one row per job.
    ``articles``: page -> title, for the links; ``environment``: :func:`environment.describe`."""
    results = sorted(build.results.values(), key=lambda r: (r.spec.page, r.spec.id))
    # A sharded build (snippets/build/shards.py): the shard that made each entry, from its manifest.
    made_by = {r.spec.id: r.manifest().get("shard") for r in results if r.folder is not None}
    sharded = any(made_by.values())
    rows = []
    for r in results:
        title = articles.get(r.spec.page, r.spec.page)
        link = f"[{title}]({r.spec.page}.md)" if r.spec.page in articles else f"`{r.spec.page}`"
        where = made_by.get(r.spec.id) or "–"
        if where == AFTER_MERGE_LABEL:
            where = ui.text("report_after_merge", lang)
        shard = f" {where} |" if sharded else ""
        rows.append(f"| `{r.spec.id}` | {link} | {ui.text('kind_' + r.spec.kind, lang)} | "
                    f"{ui.text('status_' + r.status, lang)} | {r.seconds:.1f} |{shard} `{r.key[:12]}` |")
    total = sum(r.seconds for r in build.results.values() if r.status == "run")
    title = ui.text("report_title", lang)
    summed = ui.text("report_sum", lang, total=f"{total:.1f}", seconds=f"{build.seconds:.1f}",
                     lanes=environment["lanes"])
    return (f'---\ntitle: "{title}"\ndescription: "{ui.text("report_description", lang)}"\n---\n\n# {title}\n\n'
            f"{ui.text('report_environment', lang, **environment)}\n\n"
            f"{ui.text('report_intro', lang)}\n\n`{build.summary()}`\n\n{summed}\n\n"
            + (f"{ui.text('report_shards', lang)}\n\n" if sharded else "")
            + '<div class="build-report" markdown>\n\n'
            f"{ui.text('report_head_shard' if sharded else 'report_head', lang)}\n"
            f"|---|---|---|---|--:|{'---|' if sharded else ''}---|\n" + "\n".join(rows) + "\n\n</div>\n")
