"""The built distributions carry every file the package needs besides its Python modules."""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

from tests.packaging.conftest import ROOT, Dist

SRC = ROOT / "src"


def package_assets() -> set[str]:
    """Every non-Python file under src/codetether, as `codetether/...` paths (caches left out)."""
    return {path.relative_to(SRC).as_posix() for path in (SRC / "codetether").rglob("*")
            if path.is_file() and path.suffix not in {".py", ".pyc"} and "__pycache__" not in path.parts}


def test_the_package_has_assets():
    # Guards the comparison below against passing on an empty walk.
    assert {"codetether/tui/styles/app.tcss", "codetether/session/schema.sql"} <= package_assets()


def test_wheel_holds_every_asset(dist: Dist):
    names = zipfile.ZipFile(dist.wheel).namelist()
    in_wheel = {n for n in names if n.startswith("codetether/") and not n.endswith(".py")}
    assert in_wheel == package_assets(), "add the missing patterns to [tool.setuptools.package-data]"


def test_sdist_holds_every_asset(dist: Dist):
    with tarfile.open(dist.sdist) as tar:
        names = {"/".join(Path(n).parts[2:]) for n in tar.getnames() if Path(n).parts[1:2] == ("src",)}
    assert package_assets() <= names
