"""What a writer puts in a page for the build to fill in (see :mod:`snippets.build.pages`), as
regular expressions built from the job-id pattern of :mod:`snippets.build.jobs`.
"""

from __future__ import annotations

import re

from .jobs import ID

KEY = r"[A-Za-z_][A-Za-z0-9_.]*"
PLACEHOLDER = re.compile(r"\{\{ ([^{}\n]+?) \}\}")  # {{ ... }}: the single spaces are part of it
# ![alt](figure:job-id), optionally with attributes for both variants: ![alt](figure:id){ .thumbnail }
FIGURE = re.compile(r"!\[(?P<alt>[^\]\n]*)\]\(figure:(?P<id>[^)\s]*)\)(?:\{(?P<attrs>[^{}\n]*)\})?")
VALUE = re.compile(rf"^(?P<id>{ID})\.(?P<key>{KEY}?)(?::(?P<fmt>[^\s|]*))?(?:\|(?P<filter>[a-z]+))?$")
OUTPUT = re.compile(rf"^output (?P<id>{ID})$")
MEASURED_ON = re.compile(rf"^measured_on (?P<id>{ID})$")  # the CPU, torch and threads a job ran on
READING_TIME = re.compile(r"^reading_time (?P<page>[a-z0-9][a-z0-9-]*(?:/[a-z0-9][a-z0-9-]*)*)$")  # minutes
# ``{{ if [not] job-id.key }}``, ``{{ else }}``, ``{{ end }}``: a whole line, indentation allowed.
BLOCK = re.compile(r"^[ \t]*\{\{ (?P<word>if|else|end)(?: (?P<rest>[^{}\n]*?))? \}\}[ \t]*$")
CONDITION = re.compile(rf"^(?P<not>not )?(?P<id>{ID})\.(?P<key>{KEY})$")
IF, ELSE, END = "{{ if }}", "{{ else }}", "{{ end }}"  # as messages name them
