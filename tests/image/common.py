"""Shared by the packaging checks in tests/image/ (run by tests/image.rs, or by hand)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# .ci/run sets these: there a missing tool is a failure, not a skip (tests/common/strict.rs).
STRICT = (os.environ.get("KALIVE_IMAGE_STRICT") == "1" or os.environ.get("KALIVE_STRICT", "0") not in ("", "0")
          or os.environ.get("CI", "false") not in ("", "false", "0"))

checks = 0


def ok(what):
    global checks
    checks += 1
    print(f"ok: {what}")


def skip(reason):
    """A tool is missing: skip this part with the reason, or fail under KALIVE_IMAGE_STRICT."""
    if STRICT:
        sys.exit(f"FAIL: {reason} (KALIVE_IMAGE_STRICT=1, KALIVE_STRICT=1 or CI: CI must have it)")
    print(f"SKIP: {reason}")


def run(cmd, *, check=True, **kw):
    """Runs cmd, returns CompletedProcess with text output; fails with both streams shown."""
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if check and p.returncode != 0:
        sys.exit(f"FAIL: {' '.join(map(str, cmd))} exited {p.returncode}\n"
                 f"--- stdout\n{p.stdout}\n--- stderr\n{p.stderr}")
    return p


def shellcheck(files, shell="sh"):
    if shutil.which("shellcheck") is None:
        skip("shellcheck is not installed (apt-get install shellcheck)")
        return
    run(["shellcheck", "-s", shell, *map(str, files)])
    ok(f"shellcheck -s {shell}: {', '.join(Path(f).name for f in files)}")


def cargo_version():
    for line in (ROOT / "Cargo.toml").read_text().splitlines():
        if line.startswith("version"):
            return line.split('"')[1]
    sys.exit("FAIL: no version in Cargo.toml")


def expect(cond, msg):
    if not cond:
        sys.exit(f"FAIL: {msg}")


def done(name):
    print(f"{name}: {checks} passed, 0 failed")
