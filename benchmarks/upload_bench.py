"""Upload benchmark: evidence uploads (POST /api/v1/evidence/) against a real gunicorn server.

Run:  .venv/bin/python benchmarks/upload_bench.py                  (1 × 1 GiB, 50 × 5 MiB, 10 × 3 × 5 MiB)
      .venv/bin/python benchmarks/upload_bench.py --size-mb 100 --count 10      (quick run)
Needs about (size-mb + 2 × count × small-mb) MiB of free disk under the system temp directory.
SQLite in a temporary directory unless DATABASE_URL is set (seed_demo --force then runs against it).

Prints, per scenario: seconds, throughput (MiB/s), requests/s, and the RSS of the single gunicorn
worker (baseline just before the scenario; peak = VmRSS sampled every 20 ms and VmHWM, which is reset
before each scenario; increase = peak − baseline); then a summary table, the worker's VmHWM and the
machine facts. The product promises that the worker grows by less than ~50 MB while receiving a 1 GB
file (uploads stream to disk, evidence/uploads.py).
"""

import argparse
import contextlib
import http.client
import json
import os
import platform
import secrets
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024
BLOCK = os.urandom(MIB)  # file bodies: this block, with a 16-byte (file nonce, chunk index) header per MiB
SETUP = """
import json
from django.db import connection
from rest_framework.authtoken.models import Token
from accounts.models import User
from indicators.models import Assignment
from luhsan_portal.access import Action
user = User.objects.get(username="demo_liaison")
token, _ = Token.objects.get_or_create(user=user)
assignment = Assignment.objects.for_user(user, Action.SUBMIT).filter(waived_at__isnull=True).first()
print(json.dumps({"token": token.key, "assignment": assignment and assignment.pk, "vendor": connection.vendor}))
"""


def manage(env: dict, *args: str) -> str:
    command = [sys.executable, "manage.py", *args]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        sys.exit(f"manage.py {' '.join(args[:1])} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (field 4 of /proc/<id>/stat)."""
    found = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):  # processes come and go
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM, RssAnon, … of a process, in KiB."""
    lines = (line.split() for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return {f[0].rstrip(":"): int(f[1]) for f in lines if len(f) == 3 and f[2] == "kB"}


def rss_mib(pid: int) -> float:
    return proc_status(pid)["VmRSS"] / 1024


@contextlib.contextmanager
def sampling(pid: int):
    """Yields a dict whose "peak" becomes the peak RSS (MiB) of ``pid`` inside the block: the largest VmRSS sampled
    every 20 ms, or VmHWM when the kernel let us reset it first (clear_refs 5), which also catches shorter peaks."""
    result, halt, exact = {"peak": 0.0}, threading.Event(), False
    with contextlib.suppress(OSError):
        exact = Path(f"/proc/{pid}/clear_refs").write_text("5") == 1

    def run():
        with contextlib.suppress(OSError):  # the worker died: the scenario reports it
            while not halt.wait(0.02):
                result["peak"] = max(result["peak"], rss_mib(pid))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield result
    finally:
        halt.set()
        thread.join()
        with contextlib.suppress(OSError):
            result["peak"] = max(result["peak"], proc_status(pid)["VmHWM"] / 1024 if exact else 0)


def upload(ctx: dict, files: int, size: int, nonce: int) -> tuple[float, float]:
    """POST one request with ``files`` PDFs of ``size`` bytes, streamed from a 1 MiB block; returns (sent, done) s."""
    boundary = secrets.token_hex(20)
    fields = {"assignments": ctx["assignment"], "title": f"bench {nonce}", "unclassified": "true"}
    head = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()
    )
    preambles = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="bench-{nonce}-{number}.pdf"\r\n'
        f"Content-Type: application/pdf\r\n\r\n%PDF-1.7\n".encode()
        for number in range(files)
    ]
    tail = f"--{boundary}--\r\n".encode()
    length = len(head.encode()) + sum(len(p) - 9 + size + 2 for p in preambles) + len(tail)
    conn = http.client.HTTPConnection("127.0.0.1", ctx["port"], timeout=900)
    start = time.perf_counter()
    conn.putrequest("POST", "/api/v1/evidence/")
    conn.putheader("Authorization", f"Token {ctx['token']}")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Content-Length", str(length))
    conn.endheaders(head.encode())
    for number, preamble in enumerate(preambles):
        conn.send(preamble)
        remaining, index = size - 9, 0  # 9 = len(b"%PDF-1.7\n")
        while remaining > 0:  # each MiB: a unique 16-byte label, then the shared random block
            label = struct.pack(">QQ", nonce * 1000 + number, index)[:remaining]
            conn.send(label)
            conn.send(memoryview(BLOCK)[: min(remaining, MIB) - len(label)])
            remaining, index = remaining - min(remaining, MIB), index + 1
        conn.send(b"\r\n")
    conn.send(tail)
    sent = time.perf_counter() - start
    response = conn.getresponse()
    body = response.read()
    done = time.perf_counter() - start
    conn.close()
    if response.status != 201:
        raise RuntimeError(f"upload {nonce}: HTTP {response.status}: {body[:500].decode(errors='replace')}")
    stored = [f["size"] for f in json.loads(body)["files"]]
    if stored != [size] * files:
        raise RuntimeError(f"upload {nonce}: stored sizes {stored}, sent {files} × {size}")
    return sent, done


def scenario(name: str, ctx: dict, requests: int, files: int, size: int) -> tuple:
    """``requests`` concurrent uploads of ``files`` × ``size`` bytes each; prints and returns the figures."""
    worker, base = ctx["worker"], ctx["nonce"]
    ctx["nonce"] += requests
    barrier, results, errors = threading.Barrier(requests + 1), [], []

    def client(nonce: int):
        barrier.wait()
        try:
            results.append(upload(ctx, files, size, nonce))
        except Exception as exc:  # reported below; one failed upload must not hang the others
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(base + i,)) for i in range(requests)]
    for thread in threads:
        thread.start()
    baseline = rss_mib(worker)
    with sampling(worker) as sampler:
        barrier.wait()
        start = time.perf_counter()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - start
    if errors:
        log = [line for line in ctx["log"].read_text(errors="replace").splitlines() if line[:1].strip()]
        sys.exit(f"{name}: {len(errors)} of {requests} uploads failed; first: {errors[0]}\nServer log: {log[-1:]}")
    if children(ctx["master"]) != [worker]:
        sys.exit(f"{name}: the gunicorn worker {worker} was replaced during the scenario (timeout or crash)")
    mib, peak = requests * files * size / MIB, sampler["peak"]
    row = (name, seconds, mib / seconds, requests / seconds, baseline, peak, peak - baseline)
    print(f"\n== {name}: {requests} request(s) × {files} file(s) × {size / MIB:g} MiB = {mib:g} MiB")
    sent, done = (sorted(column) for column in zip(*results, strict=True))
    spread = f"{done[0]:.2f} / {done[requests // 2]:.2f} / {done[-1]:.2f} s (min / median / max)"
    spread = spread if requests > 1 else f"{done[0]:.2f} s"
    print(f"   last request body sent after {sent[-1]:.2f} s; 201 response after {spread}")
    print(f"   {seconds:.2f} s, {row[2]:.1f} MiB/s, {row[3]:.2f} requests/s")
    print(f"   worker RSS: baseline {baseline:.1f} MiB, peak {peak:.1f} MiB, increase {peak - baseline:.1f} MiB")
    return row


def start_gunicorn(env: dict, tmp: Path) -> tuple[subprocess.Popen, int, int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port, log = sock.getsockname()[1], tmp / "gunicorn.log"
    command = [sys.executable, "-m", "gunicorn", "luhsan_portal.wsgi", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "1", "--threads", "8", "--worker-class", "gthread", "--timeout", "600"]
    with log.open("wb") as out:
        master = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and master.poll() is None:
        workers = children(master.pid)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/api/v1/")
            conn.getresponse().read()
            if len(workers) == 1:
                return master, workers[0], port
        except OSError:
            pass
        time.sleep(0.2)
    master.kill()
    sys.exit(f"gunicorn did not start (exit code {master.wait()}); its output:\n{log.read_text()}")


def blobs(tmp: Path) -> list[Path]:
    return [p for p in (tmp / "media" / "blobs").rglob("*") if p.is_file()]


def run(args: argparse.Namespace, env: dict, tmp: Path) -> None:
    manage(env, "migrate", "--no-input")
    manage(env, "seed_demo", "--force")
    ctx = json.loads(manage(env, "shell", "-c", SETUP).strip().splitlines()[-1])
    if ctx["assignment"] is None:
        sys.exit("demo_liaison has no assignment it may submit evidence for")
    master, worker, port = start_gunicorn(env, tmp)
    try:
        ctx.update(master=master.pid, worker=worker, port=port, nonce=1, log=tmp / "gunicorn.log")
        print(f"gunicorn master {master.pid}, worker {worker}, port {port}; worker RSS {rss_mib(worker):.1f} MiB")
        before = len(blobs(tmp))
        # Warm-up: the first request imports the URL conf, DRF, the views…; keep that out of the baselines.
        upload(ctx, 1, MIB, 0)
        print(f"worker RSS after a 1 MiB warm-up upload: {rss_mib(worker):.1f} MiB")
        small, count, triples = args.small_mb * MIB, args.count, max(1, args.count // 5)
        rows = [
            scenario(f"A: 1 × {args.size_mb} MiB", ctx, 1, 1, args.size_mb * MIB),
            scenario(f"B: {count} × {args.small_mb} MiB concurrent", ctx, count, 1, small),
            scenario(f"C: {triples} × 3 × {args.small_mb} MiB concurrent", ctx, triples, 3, small),
        ]
        status = proc_status(worker)
    finally:
        master.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            master.wait(timeout=30)
        master.kill()  # no-op once it has exited
    files = 1 + 1 + count + 3 * triples  # warm-up, A, B, C
    new, leftovers = len(blobs(tmp)) - before, len(list((tmp / "uploads").glob("*.upload")))
    tracebacks = (tmp / "gunicorn.log").read_text(errors="replace").count("Traceback")
    print(f"\nNew blobs: {new} (expected {files}); temp files left: {leftovers}; gunicorn log tracebacks: {tracebacks}")
    if new != files:
        sys.exit("Some uploads were deduplicated or not stored: the figures above are not trustworthy")

    header = ("scenario", "seconds", "MiB/s", "req/s", "base MiB", "peak MiB", "+MiB")
    print("\n{:<38} {:>8} {:>8} {:>7} {:>9} {:>9} {:>7}".format(*header))
    for row in rows:
        print("{:<38} {:>8.2f} {:>8.1f} {:>7.2f} {:>9.1f} {:>9.1f} {:>7.1f}".format(*row))
    print(f"\nWorker at the end: VmHWM {status['VmHWM'] / 1024:.1f} MiB (reset before each scenario),", end=" ")
    print(f"VmRSS {status['VmRSS'] / 1024:.1f} MiB, RssAnon {status.get('RssAnon', 0) / 1024:.1f} MiB")
    grew = rows[0][-1]
    verdict = "within" if grew * MIB < 50e6 else "OVER"
    print(f"Single-file upload: the worker grew by {grew:.1f} MiB ({verdict} the ~50 MB promise)")
    print(f"Machine: {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()},", end=" ")
    print(f"database {ctx['vendor']}; gunicorn 1 worker × 8 threads (gthread); the client runs on the same machine")
    if ctx["vendor"] == "sqlite":
        print("Note: with SQLite every submission's transaction takes the one write lock, so the DB writes serialise.")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="size of the single large upload, MiB")
    parser.add_argument("--count", type=int, default=50, help="number of concurrent small uploads")
    parser.add_argument("--small-mb", type=int, default=5, help="size of each small upload, MiB")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="upload-bench-"))
    (tmp / "uploads").mkdir()
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
    env.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
    env.update(
        DJANGO_MEDIA_ROOT=str(tmp / "media"),
        EVIDENCE_MAX_FILE_BYTES=str(max(2 * 1024**3, (args.size_mb + 1) * MIB)),
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(48)[:64],
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        LINK_CHECK_ENABLED="false",
        DJANGO_SETTINGS_MODULE="luhsan_portal.settings.base",
        TMPDIR=str(tmp / "uploads"),  # upload temp files on the same disk as MEDIA_ROOT: blobs are hard links
    )
    kept = " (kept afterwards)" if args.keep else ""
    print(f"Temporary directory {tmp}{kept}; free disk there {shutil.disk_usage(tmp).free / 1024**3:.1f} GiB")
    try:
        run(args, env, tmp)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
