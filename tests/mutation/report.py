"""The score of a mutation run (``make mutate``), per module.

Reads mutmut's results in ``mutants/`` and the surviving mutants that no test can kill,
each with its reason, in ``tests/mutation/equivalent.toml``: ``[[equivalent]]`` ones
behave exactly as the code does, ``[[untestable]]`` ones run only while their module is
imported, before mutmut can switch a mutant on. An entry names its module, its function
and the mutation itself (the lines ``mutmut show`` prints, stripped), never mutmut's
number for it, which changes whenever the function does.

Prints the mutants, killed, timed out, survived, untested, equivalent and untestable
mutants of each module and two scores: killed (timeouts included) of all mutants, and
killed of the mutants that are neither equivalent nor untestable. Every survivor the
list does not explain is printed as an entry to add once it is shown to be equivalent;
entries that match no survivor are printed too. Exits 1 below :data:`TARGET` percent or
when the run did not check every mutant.

Run from the checkout after ``mutmut run``: ``python -m tests.mutation.report``.
"""

from __future__ import annotations

import json
import os
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from mutmut.mutation.diff_apply import get_diff_for_mutant
from mutmut.stats import status_by_exit_code

ROOT: Final = Path(__file__).resolve().parents[2]
LISTED: Final = Path(__file__).with_name("equivalent.toml")
TARGET: Final = 90.0
"""Lowest score, in percent of the mutants that are neither equivalent nor untestable."""
DETECTED: Final = frozenset({"killed", "timeout", "segfault"})
"""Verdicts of a mutant the tests noticed: a failure, a hang or a crash."""
KINDS: Final = ("equivalent", "untestable")


@dataclass(frozen=True)
class Mutant:
    """One mutant of a run: where it is, what it changes, what the tests made of it."""

    name: str
    module: str
    function: str
    status: str
    diff: tuple[str, ...] = ()
    """Its hunk: changed lines ("- ", "+ ") amid unchanged ones ("  "), each stripped."""

    @property
    def changes(self) -> tuple[str, ...]:
        """The changed lines of :attr:`diff`."""
        return tuple(line for line in self.diff if line[0] in "+-")


@dataclass(frozen=True)
class Entry:
    """One listed mutant that no test can kill, and why."""

    kind: str
    module: str
    function: str
    diff: tuple[str, ...]
    reason: str

    def matches(self, mutant: Mutant) -> bool:
        """Whether ``mutant`` is the mutation this entry describes: the same changed
        lines, and the unchanged lines the entry names around them (where one function
        has the same change in several places)."""
        if (self.module, self.function) != (mutant.module, mutant.function):
            return False
        if tuple(line for line in self.diff if line[0] in "+-") != mutant.changes:
            return False
        size = len(self.diff)
        return any(
            mutant.diff[at : at + size] == self.diff for at in range(len(mutant.diff) - size + 1)
        )


def _function(name: str) -> str:
    """``Class.method`` or ``function`` of a mutant's name (``...xǁClassǁmethod__mutmut_3``)."""
    mangled = name.rpartition(".")[2].partition("__mutmut_")[0]
    if mangled.startswith("xǁ"):
        return ".".join(mangled[2:].split("ǁ"))
    return mangled.removeprefix("x_")


def _diff(name: str, module: str) -> tuple[str, ...]:
    """The hunk of a mutant, each line its sign (a space if unchanged), a space and the
    line stripped."""
    lines = get_diff_for_mutant(name, path=module).splitlines()
    return tuple(
        f"{line[0]} {line[1:].strip()}"
        for line in lines
        if line[:1] in "+- " and not line.startswith(("+++", "---"))
    )


def mutated_modules() -> list[str]:
    """The modules ``[tool.mutmut] only_mutate`` names, as paths from the checkout."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return list(config["tool"]["mutmut"]["only_mutate"])


def results(modules: list[str]) -> list[Mutant]:
    """Every mutant of ``modules`` with its verdict; survivors with their diff."""
    found = []
    for module in modules:
        meta = ROOT / "mutants" / f"{module}.meta"
        if not meta.exists():
            raise SystemExit(f"no results for {module}: run `mutmut run` first")
        verdicts: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
        for name, code in verdicts.items():
            status = status_by_exit_code[code]
            checked = status not in DETECTED and status != "not checked"
            diff = _diff(name, module) if checked else ()
            found.append(Mutant(name, module, _function(name), status, diff))
    return found


def listed() -> list[Entry]:
    """The entries of ``equivalent.toml``."""
    data: dict[str, Any] = tomllib.loads(LISTED.read_text())
    return [
        Entry(kind, e["module"], e["function"], tuple(e["diff"]), e["reason"])
        for kind in KINDS
        for e in data.get(kind, [])
    ]


def _toml(text: str) -> str:
    """``text`` as a TOML string: a literal one where it can be, for readable diffs."""
    if "'" not in text and text.isprintable():
        return f"'{text}'"
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a TOML basic string


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def report(mutants: list[Mutant], entries: list[Entry]) -> tuple[list[str], float, int]:
    """The report's lines, the score without equivalent and untestable mutants, and the
    number of mutants the run did not check."""
    lines: list[str] = []
    columns = ("mutants", "killed", "timeout", "survived", "no tests", "equiv.", "untest.")
    header = f"{'module':<30}" + "".join(f"{c:>9}" for c in columns) + f"{'score':>9}"
    lines += ["mutation score per module (make mutate)", header, "-" * len(header)]
    unexplained: list[Mutant] = []
    used: set[Entry] = set()
    totals: Counter[str] = Counter()
    for module in dict.fromkeys(m.module for m in mutants):
        counts: Counter[str] = Counter()
        for mutant in (m for m in mutants if m.module == module):
            counts["mutants"] += 1
            entry = next((e for e in entries if e.matches(mutant)), None)
            if mutant.status == "not checked":
                counts["not checked"] += 1
            elif mutant.status in DETECTED:
                counts["timeout" if mutant.status == "timeout" else "killed"] += 1
            elif entry is not None:
                used.add(entry)
                counts["equiv." if entry.kind == "equivalent" else "untest."] += 1
            else:
                counts["no tests" if mutant.status == "no tests" else "survived"] += 1
                unexplained.append(mutant)
        totals += counts
        lines.append(_row(module, columns, counts))
    lines += ["-" * len(header), _row("total", columns, totals), ""]
    detected = totals["killed"] + totals["timeout"]
    scored = totals["mutants"] - totals["equiv."] - totals["untest."]
    score = 100 * detected / scored if scored else 0.0
    lines.append(
        f"killed {detected} of {totals['mutants']} mutants "
        f"({_percent(detected, totals['mutants'])}; timeouts count as killed)"
    )
    lines.append(
        f"non-equivalent score: {detected} of {scored} = {score:.1f}% "
        f"(target {TARGET:.0f}%; {totals['equiv.']} equivalent and {totals['untest.']} "
        f"untestable mutants are listed in {LISTED.relative_to(ROOT)})"
    )
    if unexplained:
        lines += ["", f"{len(unexplained)} mutants survived that the list does not explain:"]
        for mutant in unexplained:
            # The changed lines alone, or the whole hunk where they are not unique.
            twins = [
                m
                for m in mutants
                if (m.module, m.function, m.changes)
                == (mutant.module, mutant.function, mutant.changes)
            ]
            diff = mutant.changes if len(twins) == 1 else mutant.diff
            lines += [
                f"# {mutant.name} ({mutant.status}); `mutmut show {mutant.name}`",
                "[[equivalent]]",
                f"module = {_toml(mutant.module)}",
                f"function = {_toml(mutant.function)}",
                "diff = [" + ", ".join(_toml(d) for d in diff) + "]",
                'reason = ""',
                "",
            ]
    stale = [e for e in entries if e not in used]
    if stale:
        lines += ["", f"{len(stale)} listed mutants are gone or killed now (drop them):"]
        lines += [f"  {e.module} {e.function}: {' | '.join(e.diff)}" for e in stale]
    return lines, score, totals["not checked"]


def _row(label: str, columns: tuple[str, ...], counts: Counter[str]) -> str:
    detected = counts["killed"] + counts["timeout"]
    scored = counts["mutants"] - counts["equiv."] - counts["untest."]
    cells = "".join(f"{counts[c]:>9}" for c in columns)
    return f"{label:<30}{cells}{_percent(detected, scored):>9}"


def main() -> int:
    """Print the report; 1 when the score is below target or the run is incomplete."""
    os.chdir(ROOT)  # mutmut reads its files relative to the checkout
    lines, score, unchecked = report(results(mutated_modules()), listed())
    print("\n".join(lines))
    if unchecked:
        print(f"\n{unchecked} mutants were not checked: the run did not finish")
        return 1
    if score < TARGET:
        print(f"\nthe score is below {TARGET:.0f}%: kill the survivors above with tests")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
