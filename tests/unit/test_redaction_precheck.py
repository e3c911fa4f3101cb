"""The redaction pre-check (projections/sealer.py `may_name`): skipping the regex for a text is
only ever done when the regex would have found nothing in it, however the value is typed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.values import Petitioner
from projections.sealer import BLANK, PetitionerSealer, _matcher, identity_values

PERSON = Petitioner(
    name="张建国", id_number="41142219680512031X", phone="13812345678", address="城关镇幸福村1-2号"
)
SEPARATORS = [" ", "-", "－", "·", "．", "(", "）", "\u3000", "_", "/"]


def regex_only(text: str, person: Petitioner) -> str:
    matcher = _matcher(identity_values([person]))
    assert matcher is not None
    return matcher.sub(BLANK, text)


def typed(value: str, data: st.DataObject) -> str:
    """`value` as someone might type it: full-width or lower-case twins, separators inside."""
    out = []
    for char in value:
        form = data.draw(st.sampled_from(["same", "wide", "lower"]))
        shown = char
        if form == "wide" and "!" <= char <= "~":
            shown = chr(ord(char) + 0xFEE0)
        elif form == "lower":
            shown = char.lower()
        out.append(shown)
        if data.draw(st.booleans()):
            out.append(data.draw(st.sampled_from(SEPARATORS)))
    return "".join(out)


@settings(max_examples=300, deadline=None)
@given(
    data=st.data(),
    before=st.text(max_size=20),
    after=st.text(max_size=20),
    kind=st.sampled_from(["name", "id_number", "phone", "address", None]),
)
def test_the_precheck_never_skips_a_text_the_regex_would_change(
    data: st.DataObject, before: str, after: str, kind: str | None
) -> None:
    inner = typed(getattr(PERSON, kind), data) if kind else ""
    text = before + inner + after
    assert PetitionerSealer.redact(text, [PERSON]) == regex_only(text, PERSON)


def test_a_text_naming_nobody_is_left_as_it_is_and_one_naming_them_is_redacted() -> None:
    assert PetitionerSealer.redact("拖欠农民工工资三个月", [PERSON]) == "拖欠农民工工资三个月"
    assert "13812345678" not in PetitionerSealer.redact("电话 138-1234-5678 联系", [PERSON])
    assert "张建国" not in PetitionerSealer.redact("信访人张 建国反映", [PERSON])
