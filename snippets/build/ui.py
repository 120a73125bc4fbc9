"""Every string the build writes into the site itself, in every language of the site: one table.

Prose is the writers'; these are the build's own words (the title of an output block, an error
box, the notebook link and pages, the build report). A test checks that every entry has every
language of ``mkdocs.yml``. ``{name}`` fields are filled by :func:`text`.
"""

from __future__ import annotations

TEXT: dict[str, dict[str, str]] = {
    # pages (snippets.build.pages)
    # what stands in for a job still running under `mkdocs serve` (pages.py, _Page.pending)
    "pending_figure": {"ko": "이 그림은 아직 만드는 중입니다", "en": "This figure is still being made"},
    "pending_output": {"ko": "이 출력은 아직 만드는 중입니다", "en": "This output is still being made"},
    "pending_block": {"ko": "이 부분은 아직 계산하는 중입니다", "en": "This part is still being computed"},
    "pending_value": {"ko": "계산하는 중", "en": "still being computed"},
    "pending_eta": {"ko": "약 {n}초 남음", "en": "about {n} s left"},
    "output": {"ko": "출력", "en": "Output"},
    "job_failed": {"ko": "빌드 작업 실패", "en": "Build job failed"},
    "value_failed": {"ko": "계산 실패", "en": "computation failed"},
    "page_error": {"ko": "페이지 오류", "en": "Page error"},
    # the notebook link under an article's title, and the notebook's own page
    "notebook_box": {
        "ko": '!!! example "노트북"\n\n    이 글의 코드를 순서대로 담은 [노트북]({name}/notebook.md)을 내려받아 직접 '
              "실행할 수 있습니다.{redraws} [`{name}.ipynb` 내려받기]({name}/notebook/{name}.ipynb)",
        "en": '!!! example "Notebook"\n\n    The code of this article, in order, is also a '
              "[notebook]({name}/notebook.md) to download and run.{redraws} "
              "[Download `{name}.ipynb`]({name}/notebook/{name}.ipynb)",
    },
    # the box's {redraws}: what the notebook's rerun cells remake, by the kinds the page shows
    "notebook_redraws_figure_table": {"ko": " 글의 그림과 표를 다시 만드는 셀도 들어 있습니다.",
                                      "en": " It has cells that redraw the figures and recompute the tables too."},
    "notebook_redraws_figure": {"ko": " 글의 그림을 다시 그리는 셀도 들어 있습니다.",
                                "en": " It has cells that redraw the figures too."},
    "notebook_redraws_table": {"ko": " 글의 표를 다시 계산하는 셀도 들어 있습니다.",
                               "en": " It has cells that recompute the tables too."},
    "notebook_title": {"ko": "{title}: 노트북", "en": "{title}: notebook"},
    "notebook_description": {
        "ko": "{title} 글의 코드 목록을 글에 나온 순서대로 빌드할 때 실행한 노트북입니다.",
        "en": "The listings of the {title} article, in order, as a notebook run when the site was built.",
    },
    "notebook_intro": {
        "ko": "[{title}](../{name}.md) 글의 코드를 같은 순서로 담아 사이트를 빌드할 때 실행한 노트북입니다.{redraws} "
              "[`{name}.ipynb` 내려받기](notebook/{name}.ipynb)",
        "en": "The code of the article [{title}](../{name}.md), in the order it shows it, run when the site was "
              "built.{redraws} [Download `{name}.ipynb`](notebook/{name}.ipynb)",
    },
    # the intro's {redraws}, by the kinds the notebook remakes (as the box's)
    "notebook_intro_redraws_figure_table": {
        "ko": " 글의 그림과 표를 다시 만드는 셀은 빌드가 이미 계산해 둔 값을 읽어 그렸고, 내려받은 노트북에서 "
              "실행하면 모두 처음부터 다시 계산합니다.",
        "en": " The cells that redraw the article's figures and tables read the values the build had already "
              "computed; when you run the downloaded notebook, they compute everything again.",
    },
    "notebook_intro_redraws_figure": {
        "ko": " 글의 그림을 다시 그리는 셀은 빌드가 이미 계산해 둔 값을 읽어 그렸고, 내려받은 노트북에서 "
              "실행하면 모두 처음부터 다시 계산합니다.",
        "en": " The cells that redraw the article's figures read the values the build had already computed; "
              "when you run the downloaded notebook, they compute everything again.",
    },
    "notebook_intro_redraws_table": {
        "ko": " 글의 표를 다시 계산하는 셀은 빌드가 이미 계산해 둔 값을 읽었고, 내려받은 노트북에서 "
              "실행하면 모두 처음부터 다시 계산합니다.",
        "en": " The cells that recompute the article's tables read the values the build had already computed; "
              "when you run the downloaded notebook, they compute everything again.",
    },
    # the first cell of a downloaded notebook
    "notebook_header": {
        "ko": "# {title}: 노트북\n\n[{title}]({url}) 글에 나온 코드를 같은 순서로 담았습니다. 각 셀에는 사이트를 "
              "빌드할 때 실행한 결과가 저장되어 있습니다. `rerun(...)`으로 끝나는 셀은 글의 그림과 표를 빌드와 "
              "같은 코드, 같은 시드로 다시 만들고, 결과를 `rerun/` 폴더에 저장합니다. 빌드할 때 이 셀들은 "
              "빌드가 계산해 둔 값을 읽었지만, 여기서 실행하면 학습부터 다시 합니다.",
        "en": "# {title}: notebook\n\nThe code of the article [{title}]({url}), in the order it shows it, with "
              "the outputs of the run made when the site was built. The cells ending in `rerun(...)` redraw the "
              "article's figures and recompute its tables with the build's code and seeds, and save what they "
              "make under `rerun/`. At build time those cells read the values the build had computed; run here, "
              "they compute everything again, training included.",
    },
    # comments at the top of those cells (snippets.build.notebooks.localized)
    "rerun_figure": {
        "ko": "글의 이 자리에 나오는 그림을 빌드와 같은 코드, 같은 시드로 다시 그립니다.\n"
              "(빌드 작업 {job}; 그림 파일은 rerun/{job}/에 저장됩니다)",
        "en": "Redraws the figure the article shows at this point, with the build's code and seeds\n"
              "(build job {job}; the file goes to rerun/{job}/).",
    },
    "rerun_table": {
        "ko": "글의 이 자리에 나오는 표의 값을 빌드와 같은 코드, 같은 시드로 다시 계산합니다.\n"
              "(빌드 작업 {job}; 값은 rerun/{job}/values.json에 저장됩니다)",
        "en": "Recomputes the values of the table the article shows at this point, with the build's\n"
              "code and seeds (build job {job}; they go to rerun/{job}/values.json).",
    },
    "rerun_took": {"ko": "빌드할 때는 CPU 스레드 하나로 약 {minutes}분 걸렸습니다.",
                   "en": "At build time this took about {minutes} min on one CPU thread."},
    # the collapsed block under each figure and computed table of an article: the job's own source
    "code_for_figure": {"ko": "이 그림을 만든 코드", "en": "Code for this figure"},
    "code_for_table": {"ko": "이 표를 만든 코드", "en": "Code for this table"},
    # {{ measured_on job-id }}: one line under a table, figure or paragraph whose numbers are timings
    "measured_on": {
        "ko": "시간은 {cpu}에서 PyTorch {torch} 버전과 CPU 스레드 {threads}로 측정했습니다.",
        "en": "Timings measured on {cpu} with PyTorch {torch} and {threads}.",
    },
    "threads_one": {"ko": "하나", "en": "one CPU thread"},
    "threads_many": {"ko": "{n}개", "en": "{n} CPU threads"},
    # the build report page
    "report_title": {"ko": "빌드 보고서", "en": "Build report"},
    "report_description": {
        "ko": "마지막 빌드에서 각 빌드 작업이 실행되었는지, 캐시에서 왔는지, 얼마나 걸렸는지 보여 줍니다.",
        "en": "Whether each build job of the last build ran or came from the cache, and what it cost.",
    },
    "report_intro": {
        "ko": "마지막 빌드의 모든 빌드 작업입니다. 캐시에서 온 작업의 시간은 그 결과를 만들 때 걸린 시간입니다.",
        "en": "Every build job of the last build. For a cached job, the time is what making its result took.",
    },
    "report_head": {
        "ko": "| 작업 | 글 | 종류 | 상태 | 시간(초) | 캐시 키 |",
        "en": "| Job | Article | Kind | State | Seconds | Cache key |",
    },
    "report_head_shard": {
        "ko": "| 작업 | 글 | 종류 | 상태 | 시간(초) | 샤드 | 캐시 키 |",
        "en": "| Job | Article | Kind | State | Seconds | Shard | Cache key |",
    },
    "report_shards": {
        "ko": "이 빌드의 결과 가운데 일부는 작업을 여러 머신에 나누어 실행한 빌드(샤드 빌드)가 만들었습니다. "
              "샤드 열은 각 결과를 만든 머신을 `2/4`(4개 중 두 번째)처럼 보여 줍니다. '병합 후'는 여러 샤드의 "
              "결과가 필요해 병합을 기다렸다가 실행한 작업이고, `–`는 나누지 않은 빌드(이번 빌드나 그 전의 "
              "빌드)가 만든 결과입니다.",
        "en": "Some results of this build were made by a build whose jobs were split among several machines "
              "(a sharded build). The Shard column names the machine that made each result, such as `2/4` (the "
              "second of four); 'after the merge' marks a job that needed the results of several shards and ran "
              "once they were merged; `–` marks a result made by a build that was not split (this one or an "
              "earlier one).",
    },
    "report_after_merge": {"ko": "병합 후", "en": "after the merge"},
    "report_environment": {
        "ko": "{date}에 커밋 `{commit}`에서 빌드했습니다. Python {python}, torch {torch}, timm {timm}, "
              "CPU {cpu}(코어 {cores}개). 작업은 {lanes}개씩 동시에, 작업마다 torch 스레드 1개로 실행합니다.",
        "en": "Built on {date} from commit `{commit}` with Python {python}, torch {torch} and timm {timm}, on "
              "{cpu} ({cores} cores). Jobs run {lanes} at a time, each on one torch thread.",
    },
    "report_sum": {
        "ko": "이번 빌드에서 실행한 작업의 시간을 모두 더하면 {total}초입니다. 작업이 {lanes}개씩 나란히 "
              "실행되므로 이 합은 빌드에 걸린 시간({seconds}초)보다 길 수 있습니다.",
        "en": "The jobs this build ran took {total} s added together. Jobs run {lanes} side by side, so this "
              "sum can exceed the time the build took ({seconds} s).",
    },
    "kind_figure": {"ko": "그림", "en": "figure"},
    "kind_values": {"ko": "값", "en": "values"},
    "kind_output": {"ko": "출력", "en": "output"},
    "kind_notebook": {"ko": "노트북", "en": "notebook"},
    "status_run": {"ko": "실행", "en": "run"},
    "status_cached": {"ko": "캐시", "en": "cached"},
    "status_failed": {"ko": "실패", "en": "failed"},
    "status_pending": {"ko": "실행 중", "en": "running"},
}


def text(key: str, lang: str, **fields) -> str:
    """The string ``key`` in ``lang``, with ``fields`` filled in."""
    entry = TEXT[key]
    if lang not in entry:
        raise KeyError(f"snippets/build/ui.py: {key!r} has no {lang!r} text (it has {', '.join(entry)})")
    return entry[lang].format(**fields) if fields else entry[lang]
