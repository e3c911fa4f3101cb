"""Looking at documents as a person would: poppler reads the PDFs, draws their pages as PNG.

The tests need poppler-utils (`pdftotext`, `pdffonts`, `pdftoppm`): `.ci/run` installs it. Outside
CI a missing tool skips the test with the command that installs it; with CI=true it fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from api.fonts import SERIF_SOURCE

POPPLER = ("pdftotext", "pdffonts", "pdftoppm", "pdfinfo")
INSTALL_HINT = "apt-get install -y poppler-utils"
OFFICE_HINT = "apt-get install -y --no-install-recommends libreoffice-calc-nogui"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "documents"
"""Where the test run writes a PNG of each document (docs/documents.md shows them)."""


def require_poppler() -> None:
    """Skip (fail in CI) unless poppler's tools are installed."""
    missing = [tool for tool in POPPLER if shutil.which(tool) is None]
    if not missing:
        return
    message = f"{', '.join(missing)} not installed: {INSTALL_HINT}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true: the documents must be rendered)")
    pytest.skip(message)


def require_office() -> None:
    """Skip (fail in CI) unless LibreOffice (`soffice`) can print workbooks, and poppler."""
    require_poppler()
    if shutil.which("soffice") is not None:
        return
    message = f"soffice not installed: {OFFICE_HINT}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true: the printed ledger must be looked at)")
    pytest.skip(message)


FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>{fonts}</dir>
  <cachedir>{cache}</cachedir>
</fontconfig>
"""
"""The system's fonts plus the CJK fonts of the PyPI package the PDFs embed, so LibreOffice
has Chinese glyphs on a machine without a CJK font package."""


def printed_workbook(xlsx: bytes) -> bytes:
    """The workbook as LibreOffice prints it (its page set-up applied), as PDF."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "book.xlsx"
        source.write_bytes(xlsx)
        profile = Path(folder) / "profile"
        fonts_conf = Path(folder) / "fonts.conf"
        fonts_conf.write_text(
            FONTS_CONF.format(fonts=SERIF_SOURCE.parent, cache=Path(folder) / "fontcache")
        )
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                folder,
                str(source),
            ],
            capture_output=True,
            check=True,
            timeout=240,
            env={**os.environ, "FONTCONFIG_FILE": str(fonts_conf)},
        )
        return (Path(folder) / "book.pdf").read_bytes()


def page_texts(pdf: bytes) -> list[str]:
    """The text of each page."""
    return _run("pdftotext", pdf, "-layout", "-enc", "UTF-8").split("\f")[:-1]


def _run(tool: str, pdf: bytes, *args: str) -> str:
    """The tool's output; poppler must have read the PDF without a complaint on stderr
    (such as "Mismatch between font type and embedded font file")."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.pdf"
        path.write_bytes(pdf)
        done = subprocess.run(
            [tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])],
            capture_output=True,
            check=True,
            timeout=60,
        )
    complaints = done.stderr.decode("utf-8", errors="replace").strip()
    assert not complaints, f"{tool}: {complaints}"
    return done.stdout.decode("utf-8")


def pdf_text(pdf: bytes) -> str:
    """The text of every page, as pdftotext reads it (layout kept)."""
    return _run("pdftotext", pdf, "-layout", "-enc", "UTF-8")


def pdf_fonts(pdf: bytes) -> list[dict[str, str]]:
    """The fonts of the PDF as pdffonts lists them: name, type, embedded, subset, unicode."""
    lines = _run("pdffonts", pdf).splitlines()[2:]
    fonts = []
    for line in lines:
        parts = line.split()
        # name, type (several words), encoding, emb, sub, uni, object id, generation
        fonts.append(
            {
                "name": parts[0],
                "type": " ".join(parts[1:-6]),
                "emb": parts[-5],
                "sub": parts[-4],
                "uni": parts[-3],
            }
        )
    return fonts


def pdf_pages(pdf: bytes) -> int:
    """How many pages the PDF has."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.pdf"
        path.write_bytes(pdf)
        done = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, timeout=60)
    for line in done.stdout.decode().splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    raise AssertionError("pdfinfo printed no page count")


def page_size(pdf: bytes, page: int = 1) -> tuple[float, float]:
    """A page's size in points, as pdfinfo reads it."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.pdf"
        path.write_bytes(pdf)
        done = subprocess.run(
            ["pdfinfo", "-f", str(page), "-l", str(page), str(path)],
            capture_output=True,
            check=True,
            timeout=60,
        )
    for line in done.stdout.decode().splitlines():
        if line.startswith(("Page size:", f"Page {page:4d} size:")):
            words = line.split(":", 1)[1].split()
            return float(words[0]), float(words[2])
    raise AssertionError("pdfinfo printed no page size")


def save_png(pdf: bytes, name: str, *, pages: int = 1, first: int = 1) -> list[Path]:
    """Draw `pages` pages from page `first` into docs/documents/<name>[-N].png (72 dpi) and
    return them."""
    DOCS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.pdf"
        path.write_bytes(pdf)
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "72",
                "-f",
                str(first),
                "-l",
                str(first + pages - 1),
                str(path),
                str(Path(folder) / "page"),
            ],
            capture_output=True,
            check=True,
            timeout=120,
        )
        drawn = sorted(Path(folder).glob("page*.png"))
        saved = []
        for index, page in enumerate(drawn, start=1):
            target = DOCS / (f"{name}.png" if len(drawn) == 1 else f"{name}-{index}.png")
            shutil.copyfile(page, target)
            saved.append(target)
    return saved
