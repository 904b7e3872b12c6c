"""The production processes, for real: the Procfile's web and worker lines run as subprocesses
against the fake Graph API, on the same database and queue as the caller (tests, benchmarks).

Each line runs through bash, as honcho runs it, so its `${VAR:-default}` settings expand from
the environment given here; `exec` makes the process id the server's own, so signals reach it.
"""

import collections
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
PROCFILE = ROOT / "Procfile"
TOKEN = "fault-token"
APP_SECRET = "fault-app-secret"
PHONE_NUMBER_ID = "106540352242922"


def procfile_command(name: str) -> str:
    """The command of one Procfile line (the Procfile stays the source of truth)."""
    for line in PROCFILE.read_text().splitlines():
        key, colon, command = line.partition(":")
        if colon and key.strip() == name:
            return command.strip()
    raise KeyError(f"no {name!r} line in {PROCFILE}")


def shutdown_timeout(name: str = "worker") -> float:
    """The consumer's --shutdown-timeout on its Procfile line."""
    words = procfile_command(name).split()
    return float(words[words.index("--shutdown-timeout") + 1])


def app_env(*, api_url: str, database_url: str, redis_url: str | None, **settings) -> dict:
    """The environment of a production-like process: development mode (Huey queues for real,
    unlike testing), the Cloud API transport at the fake, the caller's database and queue."""
    env = dict(os.environ)
    env.pop("REDIS_URL", None)
    env.update(
        SANDESH_ENV="development",
        WHATSAPP_TRANSPORT="cloud",
        WHATSAPP_API_URL=api_url,
        WHATSAPP_ACCESS_TOKEN=TOKEN,
        WHATSAPP_APP_SECRET=APP_SECRET,
        DATABASE_URL=database_url,
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        PYTHONUNBUFFERED="1",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update({key: str(value) for key, value in settings.items()})
    return env


class Process:
    """One Procfile process, its output kept in a log file."""

    def __init__(self, name: str, env: dict, log_dir: Path, label: str | None = None):
        self.name, self.env = name, env
        self.label = label or name
        self.log_path = Path(log_dir) / f"{self.label}.log"
        self.popen: subprocess.Popen | None = None

    def start(self) -> "Process":
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(
                ["bash", "-c", "exec " + procfile_command(self.name)],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: gunicorn's workers too
            )
        return self

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """kill -9: no goodbye, no cleanup (its group too, so no worker outlives it)."""
        if self.running():
            os.killpg(self.pid, signal.SIGKILL)
            self.popen.wait(10)

    def terminate(self, timeout: float) -> float:
        """SIGTERM, then wait up to `timeout`; seconds it took to exit (inf if it did not)."""
        started = time.monotonic()
        os.kill(self.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return float("inf")
        return time.monotonic() - started

    def stop(self) -> None:
        """Stop it whatever state it is in (teardown)."""
        if not self.running():
            return
        os.killpg(self.pid, signal.SIGTERM)
        try:
            self.popen.wait(5)
        except subprocess.TimeoutExpired:
            self.kill()

    def wait_for_output(self, text: str, timeout: float = 30) -> None:
        """Until the process has printed `text` (e.g. that it is ready)."""
        deadline = time.monotonic() + timeout
        while text not in self.output():
            if not self.running():
                raise RuntimeError(f"{self.label} exited:\n{self.output()[-3000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.label} never printed {text!r}")
            time.sleep(0.1)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def cpu_seconds(self) -> float:
        """CPU time used so far by the process and its children that are still running."""
        total = 0.0
        for pid in [self.pid, *_children(self.pid)]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def rss_kib(self) -> int:
        """Resident memory of the process and its children (gunicorn's workers), in KiB."""
        total = 0
        for pid in [self.pid, *_children(self.pid)]:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except (FileNotFoundError, ProcessLookupError):
                continue
        return total


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return []
    kids = [int(p) for p in found]
    return kids + [grandchild for kid in kids for grandchild in _children(kid)]


class Stack:
    """The web and worker processes of one deployment, started and stopped on demand."""

    def __init__(self, *, api_url, database_url, redis_url, log_dir, **settings):
        self.base = {"api_url": api_url, "database_url": database_url, "redis_url": redis_url}
        self.settings, self.log_dir = settings, Path(log_dir)
        self.processes: list[Process] = []
        self.web_url: str | None = None

    def env(self, **settings) -> dict:
        return app_env(**self.base, **(self.settings | settings))

    def web(self, **settings) -> Process:
        """gunicorn on a port the system picks; ready once /healthz answers."""
        process = self._start("web", self.env(BIND="127.0.0.1:0", **settings))
        process.wait_for_output("Listening at: ", timeout=30)
        listening = re.search(r"Listening at: (http://\S+)", process.output())
        self.web_url = listening.group(1)
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.web_url}/healthz", timeout=1).status_code == 200:
                    return process
            except httpx.HTTPError:
                pass
            if not process.running() or time.monotonic() > deadline:
                raise RuntimeError(f"web did not start:\n{process.output()[-3000:]}")
            time.sleep(0.1)

    def worker(self, name: str = "worker", **settings) -> Process:
        """A Huey consumer; returns once it says it has started."""
        process = self._start(name, self.env(**settings))
        process.wait_for_output("consumer started", timeout=30)
        return process

    def _start(self, name: str, env: dict) -> Process:
        label = f"{name}-{sum(p.name == name for p in self.processes) + 1}"
        process = Process(name, env, self.log_dir, label).start()
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()

    def logs(self, limit: int = 4000) -> str:
        return "\n".join(f"--- {p.label}\n{p.output()[-limit:]}" for p in self.processes)


class FakeProcess:
    """The fake Graph API in a process of its own (no GIL shared with the caller), driven
    through its /_fake/ control endpoints; the same questions as an in-process FakeGraphAPI."""

    def __init__(self, log_dir: Path, token: str = TOKEN, **config):
        import json

        command = [sys.executable, "-m", "tests.fakes.graph_api", "--port", "0", "--token", token]
        for flag in ("app_secret", "webhook_url"):  # the command line's own options
            if config.get(flag):
                command += ["--" + flag.replace("_", "-"), config.pop(flag)]
        with open(Path(log_dir) / "fake.log", "ab") as log:
            self.process = subprocess.Popen(
                [*command, "--config", json.dumps(config)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        line = self.process.stdout.readline()
        if "listening on" not in line:
            self.stop()
            raise RuntimeError(f"the fake did not start: {line!r}")
        self.url = line.rsplit(" ", 1)[1].strip()
        self.control = self.url.rsplit("/", 1)[0] + "/_fake"

    def configure(self, **settings) -> dict:
        response = httpx.post(f"{self.control}/config", json=settings, timeout=10)
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        httpx.post(f"{self.control}/reset", timeout=10).raise_for_status()

    def stats(self) -> dict:
        return httpx.get(f"{self.control}/stats", timeout=10).json()

    def messages(self) -> list[dict]:
        """Every accepted message, oldest first."""
        return httpx.get(f"{self.control}/messages", timeout=60).json()["messages"]

    def counts(self) -> dict[str, int]:
        """Accepted messages per recipient (digits only)."""
        return dict(collections.Counter(m["recipient"] for m in self.messages()))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process.stdout.close()
