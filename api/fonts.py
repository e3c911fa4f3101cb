"""The CJK fonts embedded in every PDF, as TrueType subsets of the characters a document prints.

Noto Serif SC and Noto Sans SC come from the PyPI package `pylopdf-fonts-zh-cn` as OpenType
fonts with CFF outlines. fpdf2 embeds every font as a TrueType CID font (CIDFontType2,
FontFile2), which is wrong for CFF outlines (poppler warns "Mismatch between font type and
embedded font file"; stricter viewers may refuse the font). So each document gets a subset of the
fonts holding only the characters it prints, its outlines converted to TrueType (quadratic)
curves with fontTools (`cu2qu`): a well-formed TrueType font that every viewer and printer draws
the same. A subset takes about 0.4 s and is kept in memory for the same characters.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

import pylopdf_fonts_zh_cn as cjk_fonts
from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

SERIF_SOURCE = Path(cjk_fonts.serif_path())
SANS_SOURCE = Path(cjk_fonts.sans_path())
MAX_ERROR = 1.0
"""How far (font units of 1000 per em) a converted curve may stray from the original."""
MAXP_ZEROS = (
    "maxZones",
    "maxTwilightPoints",
    "maxStorage",
    "maxFunctionDefs",
    "maxInstructionDefs",
    "maxStackElements",
    "maxSizeOfInstructions",
    "maxComponentElements",
    "maxPoints",
    "maxContours",
    "maxCompositePoints",
    "maxCompositeContours",
    "maxComponentDepth",
)


def _to_truetype(font: TTFont) -> None:
    """Replace the font's CFF outlines by TrueType ones (glyf, loca, maxp 1.0, post 2)."""
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, MAX_ERROR, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    glyf.compile(font)
    metrics = font["hmtx"].metrics
    for name, glyph in glyphs.items():
        metrics[name] = (metrics[name][0], getattr(glyph, "xMin", 0))
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.numGlyphs = len(order)
    for attribute in MAXP_ZEROS:
        setattr(maxp, attribute, 0)
    maxp.maxZones = 1
    maxp.recalc(font)
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    font.sfntVersion = "\x00\x01\x00\x00"


@lru_cache(maxsize=64)
def truetype_subset(source: Path, characters: frozenset[str]) -> bytes:
    """The font at `source` cut down to `characters`, with TrueType outlines, as font bytes."""
    font = TTFont(source)
    options = subset.Options()
    options.notdef_outline = True
    options.recommended_glyphs = True
    options.layout_features = []
    options.name_IDs = ["*"]
    options.drop_tables += ["VORG", "vhea", "vmtx", "GPOS", "GSUB", "GDEF"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(characters)))
    subsetter.subset(font)
    if "CFF " in font:
        _to_truetype(font)
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()
