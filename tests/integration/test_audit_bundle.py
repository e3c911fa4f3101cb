"""Offline case bundles: one exported file verifies without the server; any changed byte fails."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from domain.directory import SYSTEM_ACTOR
from domain.values import Category
from projections.audit_signing import canonical_json
from projections.bootstrap import Services
from projections.disclosure import case_bundle
from scripts import verify_bundle
from scripts.verify_bundle import BundleError
from tests.conftest import County
from tests.integration.helpers_read import Desk

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "verify_bundle.py"


@pytest.fixture
def bundle(services: Services, county: County) -> bytes:
    """The bundle of an accusation moved along a little, exported as the auditor sees it."""
    desk = Desk(services.app, county)
    case_id = desk.register(category=Category.ACCUSATION, content="某所长收受贿赂。")
    desk.run(case_id, "dispatcher", "forward", unit_id=desk.unit("housing"))
    desk.run(case_id, "head", "accept", handler_id=desk.person("handler"))
    desk.register()
    auditor = county.actors["auditor"]
    case, events = services.app.history(auditor, case_id)
    return case_bundle(services.app, services.audit, auditor, case, events, sees=True)


def reseal(raw: bytes, change: Any) -> bytes:
    """The bundle with `change(content)` applied and re-encoded canonically, old signature kept."""
    content = json.loads(raw)
    change(content)
    return canonical_json(content) + b"\n"


def test_an_exported_bundle_verifies_offline(bundle: bytes) -> None:
    summary = verify_bundle.verify(bundle)

    assert summary.startswith("核验通过：事项 XF-")


def test_the_bundle_carries_the_history_leaves_proofs_head_and_key(
    services: Services, bundle: bytes
) -> None:
    content = json.loads(bundle)
    events = content["history"]["events"]

    assert set(content) == {
        "format",
        "history",
        "head",
        "exported_at",
        "exported_by",
        "public_key",
        "signature",
    }
    assert [e["type"] for e in events] == ["Registered", "Forwarded", "Accepted"]
    assert events[0]["data"]["petitioners"][0]["id_number"] == "110101199001011234"
    for event in events:
        assert {"leaf", "leaf_hash", "leaf_index", "log_position", "inclusion_proof"} <= set(event)
        assert base64.b64decode(event["leaf"])[0] == 1
    assert content["head"]["key_id"] == services.audit.key_id
    assert content["public_key"] == services.audit.public_key_pem()


def test_a_masked_export_withholds_identity_and_still_verifies(
    services: Services, county: County
) -> None:
    case_id = Desk(services.app, county).register()
    case = services.app.repository.get(case_id)
    events = list(services.app.events.get(case_id))
    raw = case_bundle(services.app, services.audit, SYSTEM_ACTOR, case, events, sees=False)

    petitioner = json.loads(raw)["history"]["events"][0]["data"]["petitioners"][0]
    assert petitioner["id_number"] != "110101199001011234"
    assert verify_bundle.verify(raw).startswith("核验通过")


@pytest.mark.parametrize("step", [1, 53, 211])
def test_changing_any_byte_of_the_bundle_makes_it_fail(bundle: bytes, step: int) -> None:
    offsets = range(step % 7, len(bundle), step)
    for at in offsets:
        changed = bundle[:at] + bytes([bundle[at] ^ 0x01]) + bundle[at + 1 :]
        with pytest.raises(BundleError):
            verify_bundle.verify(changed)
    assert len(offsets) >= 10


def test_a_reformatted_bundle_fails(bundle: bytes) -> None:
    pretty = json.dumps(json.loads(bundle), indent=2, ensure_ascii=False).encode()

    with pytest.raises(BundleError, match="规范格式"):
        verify_bundle.verify(pretty)


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c["history"]["events"][1].update(reason="改过的理由"),
        lambda c: c["history"]["events"].pop(1),
        lambda c: c["history"].update(number="XF-1999-000001"),
        lambda c: c["head"].update(tree_size=c["head"]["tree_size"] + 1),
        lambda c: c["history"]["events"][0].update(log_position=999),
        lambda c: c.update(exported_at="2020-01-01T00:00:00.000000Z"),
    ],
    ids=["reason", "dropped-event", "number", "head-size", "position", "exported-at"],
)
def test_a_field_changed_and_re_encoded_canonically_fails_the_signature(
    bundle: bytes, change: Any
) -> None:
    with pytest.raises(BundleError, match="签名无效"):
        verify_bundle.verify(reseal(bundle, change))


def test_a_bundle_signed_with_another_key_fails_against_the_pinned_key(
    services: Services, bundle: bytes, tmp_path: Path
) -> None:
    pinned = services.audit.public_key.public_bytes_raw()

    assert verify_bundle.verify(bundle, pinned).startswith("核验通过")
    with pytest.raises(BundleError, match="指定的公钥"):
        verify_bundle.verify(bundle, b"\x00" * 32)


def test_the_script_runs_alone_with_only_the_standard_library_and_cryptography(
    bundle: bytes, tmp_path: Path, services: Services
) -> None:
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(SCRIPT, alone / "verify_bundle.py")
    good, bad = alone / "good.json", alone / "bad.json"
    good.write_bytes(bundle)
    bad.write_bytes(bundle.replace(b'"Accepted"', b'"Acceptee"'))
    key = alone / "key.pem"
    key.write_text(services.audit.public_key_pem())

    def run(*args: Path | str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-I", "verify_bundle.py", *map(str, args)],
            cwd=alone,
            capture_output=True,
            text=True,
            check=False,
        )

    passed, pinned, failed = run(good), run(good, "--public-key", key), run(bad)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert passed.stdout.startswith("核验通过：事项 XF-")
    assert "的 3 条事件都在" in passed.stdout
    assert pinned.returncode == 0
    assert "taken from the bundle" not in pinned.stdout
    assert failed.returncode == 1
    assert failed.stdout.startswith("核验未通过：")
