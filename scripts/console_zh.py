"""Click's own words in Chinese: usage lines, help headings, error messages, option types.

click wraps each message it prints in `gettext` or `ngettext` (imported into its modules as `_`
and `ngettext`); `install()` puts functions there that look the English template up in
MESSAGES or PLURALS and fall back to the original. The templates are click's own, placeholders
included, so a template click changes simply stays English until the table follows (the tests
compare the table with the installed click's source).

It also makes click measure text by terminal columns (a Chinese character takes two), so help
text wraps at the terminal's width and the option column lines up; and `Command` and `Group`
name the usage line's placeholders in Chinese and join a docstring's lines without a space
between two Chinese characters.
"""

from __future__ import annotations

import importlib
import inspect
import textwrap
import unicodedata
from typing import Any

import click
from click._compat import _ansi_re
from click._textwrap import TextWrapper

MESSAGES: dict[str, str] = {
    # help pages
    "Usage:": "用法:",
    "Options": "选项",
    "Positional arguments": "位置参数",
    "Commands": "命令",
    "Show this message and exit.": "显示此帮助并退出。",
    "Show the version and exit.": "显示版本号并退出。",
    "%(prog)s, version %(version)s": "%(prog)s，版本 %(version)s",
    "env var: {var}": "环境变量：{var}",
    "default: {default}": "默认：{default}",
    "required": "必填",
    "(dynamic)": "（动态）",
    "deprecated": "已弃用",
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}": (
        "弃用警告：命令 {name!r} 已弃用。{extra_message}"
    ),
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}": (
        "弃用警告：{param_type} {name!r} 已弃用。{extra_message}"
    ),
    # usage errors
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "运行 '{command} {option}' 查看帮助。",
    "Invalid value: {message}": "值无效：{message}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Missing command.": "缺少命令。",
    "No such option {name!r}.": "没有选项 {name!r}。",
    "No such command {name!r}.": "没有命令 {name!r}。",
    "Invalid start character for option ({option})": "选项的开头字符无效（{option}）",
    "Option {name!r} does not take a value.": "选项 {name!r} 不接受值。",
    "Argument {name!r} takes {nargs} values.": "参数 {name!r} 需要 {nargs} 个值。",
    "Value must be an iterable.": "值必须是可迭代的。",
    "Aborted!": "已中止！",
    "unknown error": "未知错误",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}：{message}",
    # the types' messages
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的{number_type}。",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 之内。",
    "{value!r} is not a valid boolean. Recognized values: {states}": (
        "{value!r} 不是有效的布尔值。可用的值：{states}"
    ),
    "{value!r} is not a valid UUID.": "{value!r} 不是有效的 UUID。",
    "Choose from:\n\t{choices}": "可选值：\n\t{choices}",
    "file": "文件",
    "directory": "目录",
    "path": "路径",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是目录。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 不可读。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 不可写。",
    "{name} {filename!r} is not executable.": "{name} {filename!r} 不可执行。",
    # prompts and the terminal
    "Do you want to continue?": "是否继续？",
    "Confirm the action without prompting.": "不再询问，直接确认此操作。",
    "Repeat for confirmation": "请再输入一次以确认",
    "Error: The two entered values do not match.": "错误：两次输入的值不一致。",
    "Error: invalid input": "错误：输入无效",
    "Press any key to continue...": "按任意键继续……",
    "d": "天",
    "{editor}: Editing failed": "{editor}：编辑失败",
    "{editor}: Editing failed: {e}": "{editor}：编辑失败：{e}",
    "Unknown color {colour!r}": "未知颜色 {colour!r}",
    "Unknown standard stream '{name}'": "未知的标准流 '{name}'",
    "Windows error: {error}": "Windows 错误：{error}",
    "Couldn't detect Bash version, shell completion is not supported.": (
        "无法识别 Bash 版本，不支持 shell 补全。"
    ),
    "Shell completion is not supported for Bash versions older than 4.4.": (
        "Bash 4.4 以前的版本不支持 shell 补全。"
    ),
    # mistakes in a command's definition (seen by its programmer)
    "Name '{name}' defined twice": "名称 '{name}' 定义了两次",
    "Boolean option {decl!r} cannot use the same flag for true/false.": (
        "布尔选项 {decl!r} 的真值与假值不能用同一个开关。"
    ),
    "Could not determine name for option with declarations {decls!r}": (
        "无法由声明 {decls!r} 确定选项的名称"
    ),
    "No options defined but a name was passed ({name})."
    " Did you mean to declare an argument instead? Did you mean to pass '--{name}'?": (
        "没有定义选项，却传入了名称（{name}）。是想声明一个参数吗？还是想传入 '--{name}'？"
    ),
    "Arguments take exactly one parameter declaration, got {length}: {decls}.": (
        "参数只能有一个声明，却有 {length} 个：{decls}。"
    ),
}
"""click's `gettext` templates and their Chinese."""

PLURALS: dict[tuple[str, str], tuple[str, str]] = {
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"): (
        "多余的参数（{args}）",
        "多余的参数（{args}）",
    ),
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"): (
        "是不是要用 {possibility}？",
        "（是不是要用其中之一：{possibilities}？）",
    ),
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."): (
        "选项 {name!r} 需要一个值。",
        "选项 {name!r} 需要 {nargs} 个值。",
    ),
    ("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given."): (
        "需要 {nargs} 个值，但只给了 1 个。",
        "需要 {nargs} 个值，但给了 {len} 个。",
    ),
    (
        "{len_type} values are required, but {len_value} was given.",
        "{len_type} values are required, but {len_value} were given.",
    ): (
        "需要 {len_type} 个值，但给了 {len_value} 个。",
        "需要 {len_type} 个值，但给了 {len_value} 个。",
    ),
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."): (
        "{value!r} 不是 {choice}。",
        "{value!r} 不在可选值 {choices} 之中。",
    ),
    (
        "{value!r} does not match the format {format}.",
        "{value!r} does not match the formats {formats}.",
    ): (
        "{value!r} 不符合格式 {format}。",
        "{value!r} 不符合以下任一格式：{formats}。",
    ),
}
"""click's `ngettext` templates (singular, plural) and their Chinese."""

UNTRANSLATED = frozenset({"Choice({choices})"})
"""click templates left as they are: the `repr` of a type, for programmers."""

TERMS: dict[str, str] = {
    "integer": "整数",
    "integer range": "整数",
    "float": "数",
    "float range": "数",
    "option": "选项",
    "argument": "参数",
    "parameter": "参数",
}
"""English words click formats into its templates as `{number_type}` and `{param_type}`."""

TERM_FIELDS = ("number_type", "param_type")

OPTIONS_METAVAR = "[选项]"
SUBCOMMAND_METAVAR = "命令 [参数]..."

CLICK_MODULES = (
    "click.core",
    "click.decorators",
    "click.exceptions",
    "click.formatting",
    "click.parser",
    "click.types",
    "click.termui",
    "click.utils",
    "click.shell_completion",
    "click._termui_impl",
)
"""The modules of click that call `_` or `ngettext` (click._winconsole too, only on Windows)."""


class _Template(str):
    """A template whose `{number_type}` and `{param_type}` are put in Chinese when filled."""

    __slots__ = ()

    def format(self, *args: object, **kwargs: object) -> str:
        for field in TERM_FIELDS:
            value = kwargs.get(field)
            if isinstance(value, str):
                kwargs[field] = TERMS.get(value, value)
        return super().format(*args, **kwargs)


def _filled_in_chinese(template: str) -> str:
    if any(f"{{{field}}}" in template for field in TERM_FIELDS):
        return _Template(template)
    return template


def gettext(message: str) -> str:
    """click's message in Chinese, or as it is if the table lacks it."""
    return _filled_in_chinese(MESSAGES.get(message, message))


def ngettext(singular: str, plural: str, n: int) -> str:
    """click's singular or plural message in Chinese, or as it is if the table lacks it."""
    one, many = PLURALS.get((singular, plural), (singular, plural))
    return _filled_in_chinese(one if n == 1 else many)


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"


def display_width(text: str) -> int:
    """The columns `text` takes in a terminal: ANSI escapes none, a Chinese character two."""
    return sum(2 if _is_wide(ch) else 1 for ch in _ansi_re.sub("", text))


def _fit(text: str, columns: int) -> str:
    """The longest prefix of `text` that takes at most `columns` (ANSI escapes kept whole),
    and at least one character, as click's own does: a line always advances."""
    used = 0
    i = 0
    cut = 0
    while i < len(text):
        escape = _ansi_re.match(text, i)
        if escape is not None:
            i = escape.end()
            continue
        used += 2 if _is_wide(text[i]) else 1
        if used > columns and cut > 0:
            break
        i += 1
        cut = i
        if used >= columns:
            break
    return text[:cut]


NO_BREAK_BEFORE = frozenset("，。、；：？！）」』》】…%")
"""Chinese punctuation a line may not start with."""
NO_BREAK_AFTER = frozenset("（「『《【")
"""Chinese punctuation a line may not end with."""


def _split(wrapper: textwrap.TextWrapper, text: str) -> list[str]:
    """textwrap's chunks with every Chinese character a chunk of its own (punctuation kept
    with its neighbour), so a line may break beside any Chinese character as it may at a
    space between Latin words; never inside a word at a hyphen (`--with-signing-key`)."""
    pieces: list[str] = []
    for chunk in wrapper.wordsep_simple_re.split(text):
        start = len(pieces)
        for char in chunk:
            if len(pieces) > start and not _may_break(pieces[-1][-1], char):
                pieces[-1] += char
            else:
                pieces.append(char)
    return pieces


def _may_break(before: str, after: str) -> bool:
    return (
        (_is_wide(before) or _is_wide(after))
        and after not in NO_BREAK_BEFORE
        and before not in NO_BREAK_AFTER
    )


def join_lines(text: str) -> str:
    """A docstring with the line breaks between two Chinese characters removed.

    click joins the lines of a paragraph with a space before it rewraps them; between Latin
    words that is right, between two Chinese characters it is a stray gap. A paragraph that
    starts with click's no-rewrap marker (\\b) is left as it is.
    """
    paragraphs = inspect.cleandoc(text).split("\n\n")
    joined = []
    for paragraph in paragraphs:
        lines = paragraph.split("\n")
        if lines[0].strip() == "\b":
            joined.append(paragraph)
            continue
        out = lines[0]
        for line in lines[1:]:
            rest = line.lstrip()
            if out and rest and _is_wide(out[-1]) and _is_wide(rest[0]):
                out += rest
            else:
                out += "\n" + line
        joined.append(out)
    return "\n\n".join(joined)


def _in_chinese(kwargs: dict[str, Any]) -> dict[str, Any]:
    kwargs.setdefault("options_metavar", OPTIONS_METAVAR)
    if isinstance(kwargs.get("help"), str):
        kwargs["help"] = join_lines(kwargs["help"])
    return kwargs


class Command(click.Command):
    """A click command whose usage line says 选项 and whose docstring reads as Chinese."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **_in_chinese(kwargs))


class Group(click.Group):
    """A click group like `Command`, its commands `Command`s and its groups `Group`s."""

    command_class = Command

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("subcommand_metavar", SUBCOMMAND_METAVAR)
        super().__init__(*args, **_in_chinese(kwargs))


Group.group_class = Group

_installed: list[str] = []


def install() -> None:
    """Make click speak Chinese and measure text by terminal columns (once; later calls do
    nothing)."""
    if _installed:
        return
    replacements: dict[str, dict[str, object]] = {
        name: {"_": gettext, "ngettext": ngettext} for name in CLICK_MODULES
    }
    replacements["click.formatting"]["term_len"] = display_width
    replacements["click._textwrap"] = {"term_len": display_width, "_truncate_visible": _fit}
    for name, functions in replacements.items():
        module = importlib.import_module(name)
        for attribute, function in functions.items():
            if hasattr(module, attribute):
                setattr(module, attribute, function)
        _installed.append(name)
    TextWrapper._split = _split  # type: ignore[method-assign,assignment]
