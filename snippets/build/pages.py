"""Fills a page's placeholders from job results. Plain text in, Markdown out; no MkDocs here.

What a writer puts in a page (``docs/<section>/<slug>.<lang>.md``):

``{{ job-id.key }}`` or ``{{ job-id.key:.2e }}``
    a value computed by a ``values`` job, formatted with a Python format spec. The single
    spaces inside the braces are part of the syntax, so LaTeX such as ``e^{{x}}`` is left alone.
    Inside math, ``{{ job-id.key:.2e|tex }}`` writes ``4.73e-04`` as ``4.73 \times 10^{-4}``.
``{{ output job-id }}``
    what an ``output`` job printed, as a code block titled "출력"/"Output".
``![alt text](figure:job-id)``
    a figure job, shown as its light and dark files (Material's ``#only-light``/``#only-dark``).
``{{ if job-id.key }}`` ... ``{{ else }}`` ... ``{{ end }}``, each on a line of its own
    the first part when the values job's ``key`` is truthy, else the second (``{{ else }}`` is
    optional; ``{{ if not job-id.key }}`` inverts). Blocks are resolved before anything else,
    so the part left out is not rendered and the jobs it names are not used. Blocks do not nest.
    When the condition's job failed, neither part is shown, only the failure.

An unknown job, key or directive is an error: :func:`render` returns it, and the build fails.
A job that failed becomes an error box with its traceback, so ``make serve`` keeps serving.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from .runner import BuildResult

PLACEHOLDER = re.compile(r"\{\{ ([^{}\n]+?) \}\}")
FIGURE = re.compile(r"!\[(?P<alt>[^\]\n]*)\]\(figure:(?P<id>[^)\s]*)\)")
VALUE = re.compile(r"^(?P<id>[a-z0-9]+(?:-[a-z0-9]+)*)\.(?P<key>[A-Za-z_][A-Za-z0-9_.]*?)"
                   r"(?::(?P<fmt>[^\s|]*))?(?:\|(?P<filter>[a-z]+))?$")
OUTPUT = re.compile(r"^output (?P<id>[a-z0-9]+(?:-[a-z0-9]+)*)$")
# ``{{ if [not] job-id.key }}``, ``{{ else }}``, ``{{ end }}``: a whole line, indentation allowed.
BLOCK = re.compile(r"^[ \t]*\{\{ (?P<word>if|else|end)(?: (?P<rest>[^{}\n]*?))? \}\}[ \t]*$")
CONDITION = re.compile(r"^(?P<not>not )?(?P<id>[a-z0-9]+(?:-[a-z0-9]+)*)\.(?P<key>[A-Za-z_][A-Za-z0-9_.]*)$")
FIGURES_DIR = "assets/figures"

LABELS = {
    "ko": {"output": "출력", "failed": "빌드 작업 실패", "failed_inline": "계산 실패"},
    "en": {"output": "Output", "failed": "Build job failed", "failed_inline": "computation failed"},
}
NOTEBOOK_HTML = "<!-- notebook-html -->"  # replaced by the rendered notebook after Markdown
NOTEBOOK_TEXT = {
    "ko": {
        "box": '!!! example "노트북"\n\n    이 글의 코드 목록을 순서대로 실행한 '
               "[노트북]({name}/notebook.md)이 있습니다. [`{name}.ipynb` 내려받기]({name}/notebook/{name}.ipynb)",
        "title": "{title}: 노트북",
        "description": "{title} 글의 코드 목록을 글에 나온 순서대로 빌드할 때 실행한 노트북입니다.",
        "intro": "[{title}](../{name}.md) 글의 코드 목록을 같은 순서로 담아 사이트를 빌드할 때 실행한 노트북입니다. "
                 "[`{name}.ipynb` 내려받기](notebook/{name}.ipynb)",
    },
    "en": {
        "box": '!!! example "Notebook"\n\n    The listings of this article, run in order, are also a '
               "[notebook]({name}/notebook.md). [Download `{name}.ipynb`]({name}/notebook/{name}.ipynb)",
        "title": "{title}: notebook",
        "description": "The listings of the {title} article, in order, as a notebook run when the site was built.",
        "intro": "The listings of the article [{title}](../{name}.md), in the order it shows them, run when the "
                 "site was built. [Download `{name}.ipynb`](notebook/{name}.ipynb)",
    },
}


REPORT_TEXT = {
    "ko": {
        "title": "빌드 보고서",
        "description": "마지막 빌드에서 각 빌드 작업이 실행되었는지, 캐시에서 왔는지, 얼마나 걸렸는지 보여 줍니다.",
        "intro": "마지막 빌드의 모든 빌드 작업입니다. 캐시에서 온 작업의 시간은 그 결과를 만들 때 걸린 시간입니다.",
        "head": "| 작업 | 글 | 종류 | 상태 | 시간(초) | 캐시 키 |",
        "status": {"run": "실행", "cached": "캐시", "failed": "실패"},
    },
    "en": {
        "title": "Build report",
        "description": "Whether each build job of the last build ran or came from the cache, and what it cost.",
        "intro": "Every build job of the last build. For a cached job, the time is what making its result took.",
        "head": "| Job | Article | Kind | State | Seconds | Cache key |",
        "status": {"run": "run", "cached": "cached", "failed": "failed"},
    },
}


def build_report(lang: str, build: BuildResult, articles: dict[str, str]) -> str:
    """The build report page: one row per job. ``articles``: page -> title, for the links."""
    t = REPORT_TEXT[lang]
    rows = []
    for r in sorted(build.results.values(), key=lambda r: (r.spec.page, r.spec.id)):
        title = articles.get(r.spec.page, r.spec.page)
        link = f"[{title}]({r.spec.page}.md)" if r.spec.page in articles else f"`{r.spec.page}`"
        rows.append(f"| `{r.spec.id}` | {link} | {r.spec.kind} | {t['status'][r.status]} | "
                    f"{r.seconds:.1f} | `{r.key[:12]}` |")
    total = sum(r.seconds for r in build.results.values() if r.status == "run")
    return (f'---\ntitle: "{t["title"]}"\ndescription: "{t["description"]}"\n---\n\n# {t["title"]}\n\n'
            f"{t['intro']}\n\n`{build.summary()}` · Σ run {total:.1f}s\n\n"
            f"{t['head']}\n|---|---|---|---|--:|---|\n" + "\n".join(rows) + "\n")


def page_title(markdown: str) -> str:
    m = re.search(r"^# (.+)$", markdown, flags=re.M)
    return m.group(1).strip() if m else ""


def notebook_box(lang: str, name: str) -> str:
    """The admonition an article shows under its title, linking its notebook page and file."""
    return NOTEBOOK_TEXT[lang]["box"].format(name=name)


def notebook_page(lang: str, title: str, name: str) -> str:
    """The Markdown of a notebook page; the rendered notebook replaces NOTEBOOK_HTML."""
    t = NOTEBOOK_TEXT[lang]
    heading = t["title"].format(title=title)
    description = t["description"].format(title=title).replace('"', "'")
    return (f'---\ntitle: "{heading}"\ndescription: "{description}"\n---\n\n# {heading}\n\n'
            f'{t["intro"].format(title=title, name=name)}\n\n{NOTEBOOK_HTML}\n')


def figure_uri(job_id: str, variant: str, fmt: str) -> str:
    """Where a figure file sits in the site, relative to ``docs/``."""
    return f"{FIGURES_DIR}/{job_id}.{variant}.{fmt}"


def article_of(src_uri: str) -> str | None:
    """``activations/gelu.ko.md`` -> ``activations/gelu``; None for other files."""
    m = re.fullmatch(r"(.+)\.(ko|en)\.md", src_uri)
    return m.group(1) if m else None


def page_lang(src_uri: str) -> str:
    m = re.search(r"\.(ko|en)\.md$", src_uri)
    return m.group(1) if m else "ko"


def _tex_number(text: str) -> str:
    """``4.73e-04`` -> ``4.73 \\times 10^{-4}``; a minus sign and no exponent pass through."""
    m = re.fullmatch(r"([-+]?[\d.]+)[eE]([-+]?)0*(\d+)", text)
    if not m:
        return text
    mantissa, sign, exponent = m.groups()
    return f"{mantissa} \\times 10^{{{'-' if sign == '-' else ''}{exponent}}}"


def _fence(text: str, info: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{text.rstrip()}\n{ticks}"


def error_box(title: str, error: str) -> str:
    body = _fence(error, "text")
    return f'!!! failure "{title}"\n\n' + "\n".join("    " + line if line else "" for line in body.splitlines())


IF, ELSE, END = "{{ if }}", "{{ else }}", "{{ end }}"  # for messages
MISSING = object()  # a key a values job does not have
FAILED = object()  # a condition whose job failed


@dataclass
class Rendered:
    markdown: str
    errors: list[str] = field(default_factory=list)  # writer errors: unknown jobs, keys, syntax
    failed_jobs: list[str] = field(default_factory=list)  # referenced jobs that failed
    jobs: set[str] = field(default_factory=set)  # every job the page uses


def render(markdown: str, *, src_uri: str, build: BuildResult, first_line: int = 1, notice: str = "") -> Rendered:
    """``markdown`` with its blocks, figures and placeholders filled in.

    ``first_line``: the line of the page file that ``markdown`` starts on (after the front
    matter), for the line numbers of errors. ``notice``: a block to show under the title, after
    the failure boxes (the hook's notebook link).
    """
    lang = page_lang(src_uri)
    labels = LABELS[lang]
    here = posixpath.dirname(src_uri)
    out = Rendered(markdown)

    def job(job_id: str, kind: str, where: str):
        r = build.results.get(job_id)
        if r is None:
            out.errors.append(f"{src_uri}: {where} names unknown job {job_id!r}")
            return None
        if r.spec.kind != kind:
            out.errors.append(f"{src_uri}: {where} names {job_id!r}, a {r.spec.kind} job, not a {kind} job")
            return None
        out.jobs.add(job_id)
        if r.status == "failed" and job_id not in out.failed_jobs:
            out.failed_jobs.append(job_id)
        return r

    def figure(m: re.Match) -> str:
        job_id, alt = m.group("id"), m.group("alt").strip()
        r = job(job_id, "figure", f"figure:{job_id}")
        if r is None:
            return m.group(0)
        if not alt:
            out.errors.append(f"{src_uri}: figure {job_id!r} has no alt text")
        if r.status == "failed":
            return error_box(f"{labels['failed']}: {job_id}", r.error or "")
        fmt = r.spec.format
        light = posixpath.relpath(figure_uri(job_id, "light", fmt), here or ".")
        dark = posixpath.relpath(figure_uri(job_id, "dark", fmt), here or ".")
        return f"![{alt}]({light}#only-light){{ .figure }}\n![{alt}]({dark}#only-dark){{ .figure }}"

    def value_at(r, key: str, where: str):
        """The value under ``key`` (dotted) in the values of job ``r``, or MISSING (an error)."""
        value = build.values(r.spec.id)
        for part in key.split("."):
            if not isinstance(value, dict) or part not in value:
                known = ", ".join(sorted(build.values(r.spec.id)))
                out.errors.append(f"{where}: job {r.spec.id!r} has no value {key!r} (it has: {known})")
                return MISSING
            value = value[part]
        return value

    def blocks(text: str) -> str:
        """Keep one part of each ``{{ if }}`` block. This runs before any other substitution, so
        the part left out is neither rendered nor counted as used."""
        lines = text.split("\n")
        kept: list[str] = []
        block = None  # the open block: line, show (True, False, FAILED or None), job, in_else
        for n, line in enumerate(lines, first_line):
            d = BLOCK.match(line)
            if d is None:
                if block is None or block["show"] == (not block["in_else"]):  # FAILED/None: neither part
                    kept.append(line)
                continue
            word, rest = d.group("word"), d.group("rest")
            problem = None
            if word == "if" and block is not None:
                problem = f"{IF} inside the {IF} of line {block['line']}: blocks do not nest"
            elif word != "if" and rest is not None:
                problem = f"{{{{ {word} }}}} takes nothing after it"
            elif word != "if" and block is None:
                problem = f"{{{{ {word} }}}} without an open {IF}"
            elif word == "else" and block["in_else"]:
                problem = f"a second {ELSE} in the {IF} of line {block['line']}"
            if problem:  # the page fails: say where, and show every part without the block lines
                out.errors.append(f"{src_uri}: line {n}: {problem}")
                return "\n".join(x for x in lines if not BLOCK.match(x))
            if word == "if":
                show, job_id = condition(rest or "", n)
                block = {"line": n, "show": show, "job": job_id, "in_else": False}
            elif word == "else":
                block["in_else"] = True
            else:
                if block["show"] is FAILED:  # marked where the block was, as a failed value is
                    kept.append(f"**⚠ {labels['failed_inline']}: {block['job']}**")
                block = None
        if block is not None:
            out.errors.append(f"{src_uri}: line {block['line']}: {IF} without {END}")
            return "\n".join(x for x in lines if not BLOCK.match(x))
        return "\n".join(kept)

    def condition(text: str, n: int):
        """(show, job id) of ``{{ if text }}``: show is True or False, FAILED when the job failed,
        None after an error."""
        where = f"line {n}: {{{{ if {text} }}}}"
        c = CONDITION.match(text)
        if c is None:
            out.errors.append(f"{src_uri}: {where}: expected {{{{ if job-id.key }}}} or {{{{ if not job-id.key }}}}")
            return None, None
        r = job(c.group("id"), "values", where)
        if r is None:
            return None, None
        if r.status == "failed":
            return FAILED, r.spec.id
        value = value_at(r, c.group("key"), f"{src_uri}: {where}")
        return (None if value is MISSING else bool(value) != bool(c.group("not"))), r.spec.id

    def placeholder(m: re.Match) -> str:
        body = m.group(1).strip()
        if o := OUTPUT.match(body):
            r = job(o.group("id"), "output", m.group(0))
            if r is None:
                return m.group(0)
            if r.status == "failed":
                return error_box(f"{labels['failed']}: {r.spec.id}", r.error or "")
            return _fence(build.output(r.spec.id), f'text title="{labels["output"]}"')
        if v := VALUE.match(body):
            r = job(v.group("id"), "values", m.group(0))
            if r is None:
                return m.group(0)
            if r.status == "failed":
                return f"**⚠ {labels['failed_inline']}: {r.spec.id}**"
            value = value_at(r, v.group("key"), f"{src_uri}: {m.group(0)}")
            if value is MISSING:
                return m.group(0)
            try:
                text = format(value, v.group("fmt") or "")
            except (ValueError, TypeError) as exc:
                out.errors.append(f"{src_uri}: {m.group(0)}: cannot format {value!r}: {exc}")
                return m.group(0)
            if v.group("filter") is None:
                return text
            if v.group("filter") == "tex":
                return _tex_number(text)
            out.errors.append(f"{src_uri}: {m.group(0)}: unknown filter {v.group('filter')!r} (known: tex)")
            return m.group(0)
        if body.split(" ")[0] in ("if", "else", "end"):
            out.errors.append(f"{src_uri}: {m.group(0)}: {IF}, {ELSE} and {END} must each stand on a line of their own")
            return m.group(0)
        out.errors.append(f"{src_uri}: unknown placeholder {m.group(0)!r} "
                          "(expected {{ job-id.key }}, {{ job-id.key:fmt }} or {{ output job-id }})")
        return m.group(0)

    text = blocks(markdown)
    text = FIGURE.sub(figure, text)
    text = PLACEHOLDER.sub(placeholder, text)
    boxes = [error_box(f"{labels['failed']}: {j} ({build.results[j].spec.page})",
                       build.results[j].error or "") for j in out.failed_jobs]
    if boxes or notice:
        text = after_title(text, "\n\n".join(boxes + ([notice] if notice else [])))
    out.markdown = text
    return out


def after_title(text: str, block: str) -> str:
    """Insert ``block`` after the page's first heading (or at the top)."""
    m = re.search(r"^# .*$", text, flags=re.M)
    if not m:
        return block + "\n\n" + text
    return text[: m.end()] + "\n\n" + block + "\n" + text[m.end():]
