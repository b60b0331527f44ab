"""A real Home Assistant process with its web UI, for the browser tests and the screenshots.

The ``scripts/develop`` stack on free ports in a temporary directory: the simulated Zigbee
network with its demo devices (``python -m tests.simulator --demo``), ZHA's config entry made
by ZHA's own config flow (``scripts/dev_bootstrap.py``), then ``hass`` with the HTTP server and
the frontend. HA is onboarded through its onboarding API, as the frontend's onboarding pages do,
which gives a user and its tokens for the browser.
"""

from __future__ import annotations

from dataclasses import dataclass
import importlib.util
import json
import os
from pathlib import Path
import shutil
import socket
import subprocess
import time
from types import ModuleType
from typing import Any
import urllib.error
import urllib.parse
import urllib.request

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"
HASS = ROOT / ".venv" / "bin" / "hass"
CHROMIUM = ROOT / ".cache" / "chromium" / "chromium"
USERNAME = "dev"
PASSWORD = "zha-device-pack"  # noqa: S105 - a throwaway test instance on 127.0.0.1


def dev_bootstrap() -> ModuleType:
    """Return ``scripts/dev_bootstrap.py`` as a module (``scripts/`` is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "dev_bootstrap", ROOT / "scripts" / "dev_bootstrap.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    """Return a TCP port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, timeout: float, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port} after {timeout} s")


@dataclass
class Tokens:
    """The onboarded user's tokens, as the frontend keeps them (``hassTokens``)."""

    access_token: str
    refresh_token: str
    expires_in: int


class UiStack:
    """Simulator + Home Assistant on free ports; ``start`` / ``stop``."""

    def __init__(self, workdir: Path) -> None:
        """Prepare a configuration directory under ``workdir``."""
        self.workdir = workdir
        self.config = workdir / "config"
        self.sim_port = free_port()
        self.control_port = free_port()
        self.http_port = free_port()
        self.url = f"http://127.0.0.1:{self.http_port}"
        self.tokens: Tokens | None = None
        self._processes: list[subprocess.Popen[bytes]] = []
        self._logs: list[Path] = []

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        # custom_components.zha_device_pack and tests.simulator importable, as in develop
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        return env

    def _spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = self.workdir / f"{name}.log"
        self._logs.append(log)
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            args,
            cwd=ROOT,
            env=self._env(),
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        self._processes.append(process)
        return process

    def _write_config(self) -> None:
        self.config.mkdir(parents=True, exist_ok=True)
        text = (ROOT / "config" / "configuration.yaml").read_text()
        text = text.replace("  debug: true\n", "")
        text = text.replace("  default: info\n", "  default: warning\n")
        (self.config / "configuration.yaml").write_text(text)
        dev_bootstrap().write_http_settings(self.config, self.http_port)

    def start(self) -> None:
        """Start the simulator, create the entries, start HA, onboard it."""
        self._write_config()
        sim = self._spawn(
            "simulator",
            str(PYTHON),
            "-m",
            "tests.simulator",
            "--port",
            str(self.sim_port),
            "--control-port",
            str(self.control_port),
            "--state",
            str(self.workdir / "network.json"),
            "--demo",
        )
        _wait_port(self.sim_port, 30, sim)
        subprocess.run(  # noqa: S603
            [
                str(PYTHON),
                str(ROOT / "scripts" / "dev_bootstrap.py"),
                "--config",
                str(self.config),
                "--port",
                str(self.sim_port),
                "--control-port",
                str(self.control_port),
                # the tests add our integration, its room and dashboards through the UI
                "--zha-only",
            ],
            cwd=ROOT,
            env=self._env(),
            check=True,
            stdout=(self.workdir / "bootstrap.log").open("wb"),
            stderr=subprocess.STDOUT,
            timeout=180,
        )
        hass = self._spawn(
            "hass", str(HASS), "--config", str(self.config), "--skip-pip"
        )
        _wait_port(self.http_port, 120, hass)
        self._wait_http()
        self.tokens = self._onboard()

    def _wait_http(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                self.request("GET", "/api/onboarding")
            except urllib.error.URLError, ConnectionError:
                time.sleep(0.2)
            else:
                return
        raise TimeoutError("Home Assistant's HTTP API did not answer")

    def request(
        self,
        method: str,
        path: str,
        data: dict[str, Any] | None = None,
        *,
        form: bool = False,
        token: str | None = None,
    ) -> Any:
        """Send one HTTP request to HA; return the decoded JSON answer."""
        headers = {}
        body = None
        if data is not None:
            if form:
                body = urllib.parse.urlencode(data).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            else:
                body = json.dumps(data).encode()
                headers["Content-Type"] = "application/json"
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
            self.url + path, data=body, headers=headers, method=method
        )
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            payload = answer.read()
        return json.loads(payload) if payload else None

    def _onboard(self) -> Tokens:
        """Onboard like the frontend: the owner, the core config, analytics, the client."""
        client_id = self.url + "/"
        user = self.request(
            "POST",
            "/api/onboarding/users",
            {
                "client_id": client_id,
                "name": "Developer",
                "username": USERNAME,
                "password": PASSWORD,
                "language": "en",
            },
        )
        tokens = self.request(
            "POST",
            "/auth/token",
            {
                "grant_type": "authorization_code",
                "code": user["auth_code"],
                "client_id": client_id,
            },
            form=True,
        )
        access = tokens["access_token"]
        self.request("POST", "/api/onboarding/core_config", {}, token=access)
        self.request("POST", "/api/onboarding/analytics", {}, token=access)
        self.request(
            "POST",
            "/api/onboarding/integration",
            {"client_id": client_id, "redirect_uri": client_id + "?auth_callback=1"},
            token=access,
        )
        # Onboarding's core_config step adds Google Translate TTS, which cannot set up on
        # this closed network: remove it, so no page shows an entry failing for that reason.
        for entry in self.request(
            "GET", "/api/config/config_entries/entry", token=access
        ):
            if entry["domain"] == "google_translate":
                self.request(
                    "DELETE",
                    f"/api/config/config_entries/entry/{entry['entry_id']}",
                    token=access,
                )
        return Tokens(access, tokens["refresh_token"], int(tokens["expires_in"]))

    def api(self, method: str, path: str, data: dict[str, Any] | None = None) -> Any:
        """Call HA's REST API as the onboarded user."""
        assert self.tokens is not None
        return self.request(method, path, data, token=self.tokens.access_token)

    def entry_id(self, domain: str) -> str | None:
        """Return the config entry id of ``domain`` (None: no entry)."""
        entries = self.api("GET", "/api/config/config_entries/entry")
        return next((e["entry_id"] for e in entries if e["domain"] == domain), None)

    def call_service(
        self, domain: str, service: str, data: dict[str, Any] | None = None
    ) -> Any:
        """Call an action through the REST API (what the frontend's buttons do)."""
        return self.api("POST", f"/api/services/{domain}/{service}", data or {})

    def state(self, entity_id: str) -> dict[str, Any]:
        """Return an entity's state object."""
        return dict(self.api("GET", f"/api/states/{entity_id}"))

    def states(self) -> list[dict[str, Any]]:
        """Return every entity's state object."""
        return list(self.api("GET", "/api/states"))

    def hass_tokens_script(self) -> str:
        """Return a page script storing the tokens as the frontend does after a login."""
        assert self.tokens is not None
        tokens = {
            "access_token": self.tokens.access_token,
            "refresh_token": self.tokens.refresh_token,
            "expires_in": self.tokens.expires_in,
            "token_type": "Bearer",
            "clientId": self.url + "/",
            "hassUrl": self.url,
            "expires": int(time.time() * 1000) + self.tokens.expires_in * 1000,
        }
        return f"window.localStorage.setItem('hassTokens', {json.dumps(json.dumps(tokens))});"

    def template(self, template: str) -> str:
        """Render a template through HA's REST API."""
        assert self.tokens is not None
        request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
            self.url + "/api/template",
            data=json.dumps({"template": template}).encode(),
            headers={
                "Authorization": f"Bearer {self.tokens.access_token}",
                "Content-Type": "application/json",
            },
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return str(answer.read().decode())

    def sim_devices(self) -> list[dict[str, Any]]:
        """Return the simulated devices' saved states."""
        return list(json.loads((self.workdir / "network.json").read_text())["devices"])

    def sim_device(self, model: str) -> dict[str, Any]:
        """Return a simulated device's saved state (the simulator saves every change).

        What the device itself holds (a valve's programs, a TRV's schedule): the tests read
        it to check that what the UI did reached the device and means what the user meant.
        """
        deadline = time.monotonic() + 5
        while True:
            found = [d for d in self.sim_devices() if d["model"] == model]
            if found or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert len(found) == 1, f"{len(found)} simulated {model} devices"
        return dict(found[0])

    def stop(self) -> None:
        """Stop HA and the simulator (HA first, so it saves its state)."""
        for process in reversed(self._processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def logs(self) -> str:
        """Return the tail of every process log (for a failing test's report)."""
        return "\n".join(
            f"--- {log.name}\n" + log.read_text(errors="replace")[-4000:]
            for log in self._logs
            if log.exists()
        )


def chromium_path() -> str:
    """Return the Chromium ``scripts/setup`` provides (a missing one is a setup error)."""
    path = os.environ.get("CHROMIUM") or str(CHROMIUM)
    if not Path(path).exists() and shutil.which(path) is None:
        raise RuntimeError(
            f"no Chromium at {path}: run scripts/setup (it fetches Debian's chromium)"
        )
    return path


__all__ = ["UiStack", "chromium_path", "dev_bootstrap"]
