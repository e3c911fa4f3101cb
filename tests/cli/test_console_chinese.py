"""What the console shows a person is Chinese: every help page, click's own words, the usage
errors; and the table of click's words is the installed click's (scripts/console_zh.py)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from scripts import console_zh
from scripts.cli import main

CHINESE = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_WORDS = re.compile(r"[A-Za-z]+(?: +[A-Za-z]+){2,}")
"""Three Latin words in a row: a sentence left in English."""
BACKQUOTED = re.compile(r"`[^`]*`")
"""A command or file name quoted in the help (`xinfang users tokens`): an identifier."""
GAP = re.compile(r"[\u4e00-\u9fff] [\u4e00-\u9fff]")
"""A space between two Chinese characters: a docstring's line break click made a space."""
CLICK_ENGLISH = ("Usage", "Options", "Commands", "[OPTIONS]", "COMMAND", "Show this", "Error")


def run(*args: str) -> Result:
    """`xinfang ARGS`, outside any instance (help and usage errors need none)."""
    return CliRunner().invoke(main, list(args), prog_name="xinfang")


def command_paths(
    group: click.Group = main, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, ...]]:
    """`group` and every command under it, through its groups, as the words that call them."""
    yield path
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        if isinstance(command, click.Group):
            yield from command_paths(command, (*path, name))
        else:
            yield (*path, name)


PATHS = list(command_paths())


def english_left(text: str) -> list[str]:
    """Runs of English words in `text`, identifiers aside: what is in backquotes, and the
    command paths (`xinfang users add` on the usage line, in "运行 'xinfang users add --help'")."""
    text = BACKQUOTED.sub("", text)
    for path in sorted(PATHS, key=len, reverse=True):
        text = text.replace(" ".join(["xinfang", *path]), "")
    return ENGLISH_WORDS.findall(text)


def test_every_command_is_walked() -> None:
    assert len(PATHS) > 40
    assert ("users", "revoke") in PATHS
    assert ("registers", "tasks") in PATHS
    assert ("audit", "export") in PATHS


@pytest.mark.parametrize("path", PATHS, ids=[" ".join(p) or "xinfang" for p in PATHS])
def test_every_help_page_is_chinese(path: tuple[str, ...]) -> None:
    result = run(*path, "--help")

    assert result.exit_code == 0, result.output
    shown = result.output
    assert shown.startswith(f"用法: {' '.join(['xinfang', *path])} [选项]")
    assert "选项:" in shown
    assert "显示此帮助并退出。" in shown
    assert CHINESE.search(shown.split("\n", 1)[1])
    assert english_left(shown) == []
    for word in CLICK_ENGLISH:
        assert word not in shown
    assert GAP.search(shown) is None
    # Wrapped by terminal columns: a Chinese character takes two.
    assert max(console_zh.display_width(line) for line in shown.splitlines()) <= 80


def test_a_group_lists_its_commands_under_a_chinese_heading() -> None:
    shown = run("--help").output

    assert "用法: xinfang [选项] 命令 [参数]..." in shown
    assert "\n命令:\n" in shown
    assert "  users        用户及其角色和令牌。" in shown


USAGE_ERRORS = {
    "not an integer": (["demo", "--cases", "abc"], "'--cases' 的值无效：'abc' 不是有效的整数。"),
    "out of range": (["serve", "--port", "70000"], "70000 不在范围 0<=x<=65535 之内。"),
    "required option": (["users", "add", "张三"], "缺少选项 '--role'"),
    "not a choice": (["users", "add", "张三", "--role", "boss"], "'boss' 不在可选值"),
    "no such command": (["nosuchcommand"], "没有命令 'nosuchcommand'。"),
    "missing argument": (["users", "role"], "缺少参数 '用户ID'"),
    "no such option": (["demo", "--nope"], "没有选项 '--nope'。"),
    "option without value": (["demo", "--cases"], "选项 '--cases' 需要一个值。"),
    "no such folder": (["restore", "/no/such/folder"], "目录 '/no/such/folder' 不存在。"),
    "extra argument": (["history", "a", "b"], "多余的参数（b）"),
    "not a uuid": (["users", "tokens", "abc"], "'abc' 不是有效的 UUID。"),
}


@pytest.mark.parametrize(("args", "message"), USAGE_ERRORS.values(), ids=USAGE_ERRORS.keys())
def test_a_usage_error_is_told_in_chinese(args: list[str], message: str) -> None:
    result = run(*args)

    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "错误：" in result.output
    assert english_left(result.output) == []
    for word in CLICK_ENGLISH:
        assert word not in result.output


def test_a_usage_error_names_the_help_in_chinese() -> None:
    result = run("users", "role")

    assert result.output.splitlines()[:2] == [
        "用法: xinfang users role [选项] 用户ID",
        "运行 'xinfang users role --help' 查看帮助。",
    ]


def click_templates() -> tuple[set[str], set[tuple[str, str]]]:
    """Every literal template the installed click passes to `_` and to `ngettext`."""
    singular: set[str] = {"required"}  # passed to `_` through a variable (core.py)
    plural: set[tuple[str, str]] = set()
    for source in Path(click.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            texts = [a.value for a in node.args if isinstance(a, ast.Constant)]
            if node.func.id == "_" and texts and isinstance(texts[0], str):
                singular.add(texts[0])
            elif node.func.id == "ngettext" and len(texts) >= 2:
                plural.add((texts[0], texts[1]))
    return singular, plural


def test_the_table_has_every_message_of_click_as_click_spells_it() -> None:
    singular, plural = click_templates()

    assert set(console_zh.MESSAGES) == singular - console_zh.UNTRANSLATED
    assert set(console_zh.PLURALS) == plural


def test_a_translation_keeps_the_placeholders_of_its_template() -> None:
    fields = re.compile(r"\{[^}]*\}|%\([a-z]+\)s")
    pairs = [*console_zh.MESSAGES.items()]
    for (one, many), (zh_one, zh_many) in console_zh.PLURALS.items():
        pairs += [(one, zh_one), (many, zh_many)]
    for english, chinese in pairs:
        assert set(fields.findall(chinese)) == set(fields.findall(english)), english
        assert CHINESE.search(chinese), english


def test_a_message_missing_from_the_table_stays_as_click_wrote_it() -> None:
    assert console_zh.gettext("Some new message of click.") == "Some new message of click."
    assert console_zh.ngettext("one {n}", "many {n}", 2) == "many {n}"
    assert console_zh.ngettext("Option {name!r} requires an argument.", "x", 1) == (
        "Option {name!r} requires an argument."
    )
