"""A private JupyterLab or Notebook 7 server and a notebook run in headless Chromium.

Private config, runtime and root dirs, a random port and token, no news toast, no notebook
windowing (every output stays in the DOM). Jupyter Notebook 7 is built from JupyterLab's
components: the same user settings, the same ``window.jupyterapp`` (exposed on request), only
another server app and other page URLs. See ../shared/docs/jupyter-notes.md.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

#: The server application per front end: (python -m module, its config class, notebook URL path).
APPS = {
    "lab": ("jupyterlab", "LabApp", "lab/tree"),
    "notebook": ("notebook", "JupyterNotebookApp", "notebooks"),
}

SETTINGS = {
    "apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    # Render every cell (no windowing) so that outputs below the fold exist in the DOM.
    "notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def notebook(cells: list[str]) -> dict[str, Any]:
    """An nbformat 4 notebook of code cells, without outputs, on the python3 kernel."""
    return {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "source": src,
                "outputs": [],
                "execution_count": None,
            }
            for src in cells
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def jupyterlab(
    work: Path, notebooks: dict[str, dict], app: Literal["lab", "notebook"] = "lab"
) -> Iterator[tuple[str, str]]:
    """Serve ``notebooks`` (name -> notebook dict) from ``work``/root; yield (base url, token).

    ``app="notebook"`` starts Jupyter Notebook 7 instead of JupyterLab.
    """
    module, app_class, _ = APPS[app]
    root, config, runtime = (work / d for d in ("root", "config", "runtime"))
    for d in (root, config, runtime):
        d.mkdir(parents=True, exist_ok=True)
    user = config / "lab" / "user-settings" / "@jupyterlab"
    for name, value in SETTINGS.items():
        path = user / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value), encoding="utf-8")
    for name, nb in notebooks.items():
        (root / name).write_text(json.dumps(nb), encoding="utf-8")
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config), JUPYTER_RUNTIME_DIR=str(runtime))
    log_path = work / "server.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            module,
            "--no-browser",
            "--allow-root",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            f"--{app_class}.expose_app_in_browser=True",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{module} did not start:\n" + log_path.read_text()
                    ) from None
                time.sleep(0.3)
        yield base, token
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        shutil.rmtree(runtime, ignore_errors=True)


def run_notebook(
    page: Any,
    base: str,
    token: str,
    name: str,
    sentinel: str,
    timeout_s: float,
    app: Literal["lab", "notebook"] = "lab",
) -> None:
    """Open notebook ``name`` in ``page``, run all cells, wait until ``sentinel`` is printed."""
    reset = "&reset" if app == "lab" else ""
    page.goto(f"{base}/{APPS[app][2]}/{name}?token={token}{reset}")
    page.wait_for_function(
        "() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session"
        "?.kernel?.status === 'idle'",
        timeout=90_000,
    )
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        f"() => document.body.textContent.includes('{sentinel}')", timeout=timeout_s * 1000
    )


#: ``page.evaluate(KERNEL_EXEC, code)``: run code in the open notebook's kernel, return stdout.
KERNEL_EXEC = """async (code) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const future = kernel.requestExecute({code, store_history: false});
  let out = "";
  future.onIOPub = (msg) => {
    if (msg.header.msg_type === "stream") out += msg.content.text;
  };
  await future.done;
  return out;
}"""


@contextmanager
def notebook_page(
    work: Path,
    notebooks: dict[str, dict],
    name: str,
    sentinel: str,
    *,
    timeout_s: float,
    app: Literal["lab", "notebook"] = "lab",
    viewport: tuple[int, int] = (1400, 1000),
    ignored_errors: frozenset[str] = frozenset(),
    console_errors: bool = False,
) -> Iterator[tuple[Any, list[str]]]:
    """Serve ``notebooks``, open ``name`` in headless Chromium and run it to ``sentinel``.

    Yields ``(page, errors)``: page errors (except ``ignored_errors``), dialogs and, with
    ``console_errors``, console errors, collected for the tests to assert empty. A screenshot
    of a notebook that did not finish is saved as ``work/timeout.png``.
    """
    import pytest

    from .chromium import CHROMIUM, CHROMIUM_ARGS, require_chromium

    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    with jupyterlab(work, notebooks, app=app) as (base, token):
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            errors: list[str] = []
            page.on(
                "pageerror",
                lambda e: None if str(e) in ignored_errors else errors.append(str(e)),
            )
            if console_errors:
                page.on(
                    "console",
                    lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None,
                )
            page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))
            try:
                run_notebook(page, base, token, name, sentinel, timeout_s=timeout_s, app=app)
            except Exception:
                page.screenshot(path=str(work / "timeout.png"), full_page=True)
                raise
            yield page, errors
            browser.close()
