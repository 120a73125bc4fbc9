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
FIGURES_DIR = "assets/figures"

LABELS = {
    "ko": {"output": "출력", "failed": "빌드 작업 실패", "failed_inline": "계산 실패"},
    "en": {"output": "Output", "failed": "Build job failed", "failed_inline": "computation failed"},
}


def figure_uri(job_id: str, variant: str, fmt: str) -> str:
    """Where a figure file sits in the site, relative to ``docs/``."""
    return f"{FIGURES_DIR}/{job_id}.{variant}.{fmt}"


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


@dataclass
class Rendered:
    markdown: str
    errors: list[str] = field(default_factory=list)  # writer errors: unknown jobs, keys, syntax
    failed_jobs: list[str] = field(default_factory=list)  # referenced jobs that failed
    jobs: set[str] = field(default_factory=set)  # every job the page uses


def render(markdown: str, *, src_uri: str, build: BuildResult) -> Rendered:
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
            value = build.values(r.spec.id)
            for part in v.group("key").split("."):
                if not isinstance(value, dict) or part not in value:
                    known = ", ".join(sorted(build.values(r.spec.id)))
                    out.errors.append(f"{src_uri}: {m.group(0)}: job {r.spec.id!r} has no value "
                                      f"{v.group('key')!r} (it has: {known})")
                    return m.group(0)
                value = value[part]
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
        out.errors.append(f"{src_uri}: unknown placeholder {m.group(0)!r} "
                          "(expected {{ job-id.key }}, {{ job-id.key:fmt }} or {{ output job-id }})")
        return m.group(0)

    text = FIGURE.sub(figure, markdown)
    text = PLACEHOLDER.sub(placeholder, text)
    if out.failed_jobs:
        boxes = [error_box(f"{labels['failed']}: {j} ({build.results[j].spec.page})",
                              build.results[j].error or "") for j in out.failed_jobs]
        text = _after_front_heading(text, "\n\n".join(boxes))
    out.markdown = text
    return out


def _after_front_heading(text: str, block: str) -> str:
    """Insert ``block`` after the page's first heading (or at the top)."""
    m = re.search(r"^# .*$", text, flags=re.M)
    if not m:
        return block + "\n\n" + text
    return text[: m.end()] + "\n\n" + block + "\n" + text[m.end():]
