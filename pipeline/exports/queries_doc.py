"""The answers in docs/queries.md, written from a warehouse or release: each "Answer (N
rows):" table under a question's ```sql block is replaced by what that query returns now.
`stancewire docs --queries-from DB` rewrites the page from the seed warehouse (`make
sample`), and tests/test_queries.py checks that the page shows what a fresh seed run
answers, so the page never shows answers the code no longer gives."""

from __future__ import annotations

import re

MAX_ROWS = 25  # rows shown of a longer answer
MAX_CELL = 90  # characters shown of a cell, the last an ellipsis

# A question's SQL block, then its answer: the "Answer (...):" line and the table after it.
_ANSWERED = re.compile(
    r"(?P<sql>```sql\n(?P<query>.*?)```\n\n)(?P<answer>Answer \([^)]*\):\n\n(?:\|[^\n]*\|\n)+)",
    re.S,
)


def rewrite_answers(page: str, conn) -> str:
    """`page` with every answer table replaced by the current answer of its query on `conn`."""

    def answer(m: re.Match) -> str:
        return m["sql"] + answer_table(conn, m["query"])

    return _ANSWERED.sub(answer, page)


def answer_table(conn, query: str) -> str:
    """The "Answer (N rows):" line and the Markdown table of a query's result."""
    cur = conn.execute(query)
    columns = [d[0] for d in cur.description]
    rows = cur.fetchall()
    n = len(rows)
    head = f"Answer ({n} row{'s' if n != 1 else ''}{f', first {MAX_ROWS}' if n > MAX_ROWS else ''}):"
    lines = [head, "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows[:MAX_ROWS]]
    return "\n".join(lines) + "\n"


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:.2f}"
    elif isinstance(value, list | tuple):
        text = ", ".join(str(v) for v in value)
    else:
        text = str(value)
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"
