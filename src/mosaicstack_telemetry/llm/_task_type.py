"""infer_task_type: a keyword heuristic from a system prompt (or a hint) to a TaskType value."""

from __future__ import annotations

import re

# Checked in this order; the first match wins. "stem*" matches words that start with it
# ("test*": tests, testing; never "latest"); other entries match whole words only. A heuristic:
# pass task_type when you know it.
_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "security_audit",
        ("security", "vulnerab*", "cve*", "threat model*", "pentest*", "exploit*", "audit*"),
    ),
    ("code_review", ("review*", "pull request*", "critique*", "diff", "diffs")),
    (
        "debugging",
        ("debug*", "bug*", "traceback*", "stack trace*", "crash*", "diagnos*", "fix", "fixing"),
    ),
    ("testing", ("test*", "pytest", "coverage", "qa")),
    ("refactoring", ("refactor*", "clean up", "cleanup", "restructur*", "simplif*")),
    ("documentation", ("document*", "docstring*", "readme", "docs", "changelog*", "tutorial*")),
    (
        "configuration",
        ("config*", "setup", "set up", "deploy*", "ci", "dockerfile*", "infrastructure"),
    ),
    (
        "planning",
        (
            "plan",
            "plans",
            "planning",
            "planner",
            "brain*",
            "architect*",
            "design*",
            "roadmap*",
            "strateg*",
        ),
    ),
    (
        "implementation",
        (
            "implement*",
            "code generation",
            "generate code",
            "codegen",
            "write code",
            "coding",
            "coder",
            "programming",
            "programmer",
        ),
    ),
)


def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    parts = [
        re.escape(word[:-1]) if word.endswith("*") else re.escape(word) + r"\b" for word in words
    ]
    return re.compile(r"\b(?:" + "|".join(parts) + ")")


_COMPILED = tuple((task_type, _pattern(words)) for task_type, words in _RULES)
_TASK_TYPES = frozenset(
    {
        "planning",
        "implementation",
        "code_review",
        "testing",
        "debugging",
        "refactoring",
        "documentation",
        "configuration",
        "security_audit",
        "unknown",
    }
)


def infer_task_type(system_prompt: str | None = None, hint: str | None = None) -> str:
    """Guess the TaskType value (a heuristic): an explicit hint wins, then prompt keywords.

    `hint` may be a TaskType value ("code_review") or a word of the calling context ("review",
    "brain", "codegen"); the prompt is matched against the same keywords. No match: "unknown".
    """
    for text in (hint, system_prompt):
        if not text:
            continue
        value = getattr(text, "value", text)
        if value in _TASK_TYPES and (text is hint):
            return str(value)
        lowered = str(value).lower()
        for task_type, pattern in _COMPILED:
            if pattern.search(lowered):
                return task_type
    return "unknown"
