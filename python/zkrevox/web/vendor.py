"""The browser libraries the pages import, vendored from the pinned npm packages (package.json):
ethers 6 as its single-file ES module, and ezkl's WASM engine (``@ezkljs/engine``, its ``web``
build). ``make setup`` copies them into ``static/vendor/`` (git-ignored) with :func:`vendor`."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from zkrevox.errors import ArtifactError
from zkrevox.model_files import REPO_ROOT

VENDOR_DIR = Path(__file__).parent / "static" / "vendor"
# destination under static/vendor/ -> source under node_modules/
FILES = {
    "ethers.min.js": "ethers/dist/ethers.min.js",
    "ezkl/ezkl.js": "@ezkljs/engine/web/ezkl.js",
    "ezkl/ezkl_bg.wasm": "@ezkljs/engine/web/ezkl_bg.wasm",
    "ezkl/utils.js": "@ezkljs/engine/web/utils.js",
    "ezkl/snippets": "@ezkljs/engine/web/snippets",
}


def missing() -> list[str]:
    """Vendored files not in ``static/vendor/`` yet."""
    return [name for name in FILES if not (VENDOR_DIR / name).exists()]


def vendor(node_modules: Path | None = None) -> list[Path]:
    """Copy the vendored files from ``node_modules`` (default: the repository's) into ``static/vendor/``."""
    root = node_modules or REPO_ROOT / "node_modules"
    written = []
    for dest, src in FILES.items():
        source, target = root / src, VENDOR_DIR / dest
        if not source.exists():
            raise ArtifactError(f"{source} is missing: install the pinned npm packages with `make setup` "
                                "(npm ci)")
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copyfile(source, target)
        written.append(target)
    return written


def check() -> None:
    """ArtifactError naming the fix when a vendored file is missing."""
    gone = missing()
    if gone:
        raise ArtifactError(f"the pages' vendored libraries are missing ({', '.join(gone)} under {VENDOR_DIR}): "
                            "run `make setup` (or `python -m zkrevox.web.vendor`)")


if __name__ == "__main__":
    for path in vendor():
        print(path, file=sys.stderr)
