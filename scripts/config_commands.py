"""`xinfang config`: the issuing office printed on documents, the ledger and the bulletin.

The settings live in the instance folder (office.json) and are read anew for every document,
so a change takes effect at once; a document issued before keeps the 文号 it was given.
"""

from __future__ import annotations

from dataclasses import replace

import click

from domain.documents import CONFIG_KEYS
from projections.settings import CIPHER_KEY_FILE, InstanceError, Settings, no_instance
from scripts.cli import echo_table, settings_from_environ
from scripts.console_zh import Group

VALUE = "文字"
"""The placeholder of the value in `xinfang config set`'s usage line and its refusal."""


@click.group(cls=Group)
def config() -> None:
    """发文机关：县名、机关名称、文号前缀、印章占位文字。"""


def _instance_settings() -> Settings:
    settings = settings_from_environ()
    if not settings.key_path(CIPHER_KEY_FILE).exists():
        raise click.ClickException(no_instance(settings.home))
    return settings


@config.command("show")
def config_show() -> None:
    """打印每个设置项及其值和含义。"""
    settings = _instance_settings()
    try:
        profile = settings.office_profile().as_mapping()
    except InstanceError as err:
        raise click.ClickException(str(err)) from None
    echo_table(("设置项", "值", "含义"), [(k, profile[k], m) for k, m in CONFIG_KEYS.items()])


@config.command("set")
@click.argument("key", type=click.Choice(sorted(CONFIG_KEYS)))
@click.argument("value", metavar=VALUE)
def config_set(key: str, value: str) -> None:
    """设置一项（如 `xinfang config set number_prefix X信`）。"""
    text = value.strip()
    if not text or len(text) > 100:
        raise click.BadParameter("须为 1 至 100 个字符", param_hint=f"'{VALUE}'")
    settings = _instance_settings()
    try:
        profile = settings.office_profile()
    except InstanceError as err:
        raise click.ClickException(str(err)) from None
    settings.save_office_profile(replace(profile, **{key: text}))
    click.echo(f"{key} = {text}")
