"""The HTML matrix in a real browser: headless Chromium driven over the DevTools protocol.

The page must load with no console errors or exceptions, and a click on a cell must show that
cell's hazard list grouped by endpoint.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import aiohttp
import pytest

from checker.cli import main

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--remote-debugging-port=0", "--window-size=1500,1000",
]


class Page:
    """A minimal DevTools client: commands with ids, events collected as they come."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future] = {}
        self.events: list[dict] = []
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            data = json.loads(msg.data)
            if "id" in data and data["id"] in self.pending:
                self.pending.pop(data["id"]).set_result(data)
            else:
                self.events.append(data)

    async def send(self, method: str, **params) -> dict:
        n = next(self.ids)
        fut = asyncio.get_running_loop().create_future()
        self.pending[n] = fut
        await self.ws.send_json({"id": n, "method": method, "params": params})
        reply = await asyncio.wait_for(fut, 30)
        assert "error" not in reply, reply
        return reply["result"]

    async def eval(self, expression: str):
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    async def wait_event(self, method: str, timeout: float = 30) -> dict:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while loop.time() < end:
            for ev in self.events:
                if ev.get("method") == method:
                    return ev
            await asyncio.sleep(0.05)
        raise TimeoutError(method)

    def errors(self) -> list[dict]:
        bad = []
        for ev in self.events:
            m, p = ev.get("method"), ev.get("params", {})
            if m == "Runtime.exceptionThrown":
                bad.append(ev)
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                bad.append(ev)
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                bad.append(ev)
        return bad


@contextlib.asynccontextmanager
async def chromium(tmp_path: Path):
    if not os.path.exists(CHROMIUM):
        pytest.skip("chromium is not installed (apt-get install chromium)")
    profile = tmp_path / "profile"
    profile.mkdir()
    proc = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        port = None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while port is None and loop.time() < deadline:
            line = await loop.run_in_executor(None, proc.stderr.readline)  # type: ignore[union-attr]
            if not line and proc.poll() is not None:
                break
            m = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            if m:
                port = int(m.group(1))
        if port is None:
            pytest.skip(f"chromium did not start (exit {proc.poll()})")
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/json/list") as resp:
                targets = await resp.json(content_type=None)
            url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
            async with http.ws_connect(url, max_msg_size=0) as ws:
                page = Page(ws)
                try:
                    yield page
                finally:
                    page.reader.cancel()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def matrix_html(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("matrix") / "matrix.html"
    assert main(["matrix", "--html", str(out)]) == 0
    return out


async def test_matrix_page_loads_clean_and_a_cell_opens_its_list(matrix_html: Path, tmp_path: Path) -> None:
    html = matrix_html.read_text()
    # Self-contained: no external scripts, styles, images or fonts.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html and "url(http" not in html
    async with chromium(tmp_path) as page:
        await page.send("Runtime.enable")
        await page.send("Log.enable")
        await page.send("Page.enable")
        await page.send("Page.navigate", url=matrix_html.as_uri())
        await page.wait_event("Page.loadEventFired")
        assert await page.eval("document.querySelectorAll('td[data-c]').length") == 32 * 31
        # Cells are painted: the newest client on the oldest daemon has hazards, the same version none.
        assert int(await page.eval("document.querySelector('td[data-c=\"1.56\"][data-s=\"1.25\"]').textContent")) > 100
        assert await page.eval("document.querySelectorAll('td.diag').length") == 32
        # Click: client 1.44 on daemon 1.42 (newer client). Its list names the fields 1.44 added.
        await page.eval("document.querySelector('td[data-c=\"1.44\"][data-s=\"1.42\"]').click()")
        title = await page.eval("document.querySelector('#panel h2').textContent")
        assert title.startswith("client 1.44 \u2192 daemon 1.42:")
        listed = await page.eval("Array.from(document.querySelectorAll('#hazard-list li')).map(li => li.textContent)")
        groups = await page.eval("Array.from(document.querySelectorAll('#hazard-list details summary .ep')).map(e => e.textContent)")
        count = int(re.search(r": (\d+) hazards", title).group(1))
        assert count == len(listed) > 0
        assert any("CDISpecDirs" in text for text in listed)
        assert "GET /info" in groups
        # The other direction (older client on newer daemon) shows the removals and deprecations.
        await page.eval("document.querySelector('td[data-c=\"1.43\"][data-s=\"1.44\"]').click()")
        listed = await page.eval("Array.from(document.querySelectorAll('#hazard-list li')).map(li => li.textContent)")
        assert any("VirtualSize" in text and "removed" in text for text in listed)
        # A kind filter repaints the grid: unticking every kind empties the cells.
        before = await page.eval("document.querySelector('td[data-c=\"1.56\"][data-s=\"1.25\"]').textContent")
        await page.eval("document.querySelectorAll('input[data-kind]').forEach(b => { b.checked = false; b.dispatchEvent(new Event('change')); })")
        after = await page.eval("document.querySelector('td[data-c=\"1.56\"][data-s=\"1.25\"]').textContent")
        assert before and after == ""
        await page.eval("document.querySelectorAll('input[data-kind]').forEach(b => { b.checked = true; b.dispatchEvent(new Event('change')); })")
        await page.eval("document.querySelector('td[data-c=\"1.44\"][data-s=\"1.42\"]').click()")
        shot = await page.send("Page.captureScreenshot", format="png")
        (tmp_path / "matrix.png").write_bytes(base64.b64decode(shot["data"]))
        if os.environ.get("APICHECK_SCREENSHOT"):
            shutil.copy(tmp_path / "matrix.png", os.environ["APICHECK_SCREENSHOT"])
        await asyncio.sleep(0.2)
        assert page.errors() == []
