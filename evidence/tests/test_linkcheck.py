"""check_url against local HTTP servers on 127.0.0.1 only: the test machine, like many intranets, has no internet."""

import contextlib
import gzip
import http.client
import http.server
import socket
import threading
import time
import urllib.request
from urllib.parse import unquote, urlsplit

import pytest

from evidence.linkcheck import LinkCheckResult, check_url

UTF8_PAGE = "<html><head><title>\n  鲁山县人民政府 &amp;\n   法治政府建设  </title></head><body>正文</body></html>"
GBK_PAGE = '<html><head><meta charset="gbk"><title>鲁山县司法局 — 法治宣传</title></head></html>'
GB2312_EQUIV_PAGE = (
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
    "<title>县政府办公室通知</title></head></html>"
)
UNDECLARED_GBK_PAGE = "<html><head><title>行政执法公示</title></head></html>"
CUT_TITLE = "<title>法治鲁山</title>".encode()


def _page(handler, body: bytes, content_type: str = "text/html; charset=utf-8", status: int = 200, **headers):
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.end_headers()
    handler.wfile.write(body)


def _redirect(handler, status: int, location: str):
    handler.send_response(status)
    handler.send_header("Location", location)
    handler.send_header("Content-Length", "0")
    handler.end_headers()


class OriginHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_GET(self):
        self.server.requests.append((unquote(self.path), dict(self.headers)))
        path = unquote(self.path)
        if path == "/utf8":
            _page(self, UTF8_PAGE.encode())
        elif path == "/gbk-meta":
            _page(self, GBK_PAGE.encode("gbk"), "text/html")
        elif path == "/gb2312-equiv":
            _page(self, GB2312_EQUIV_PAGE.encode("gb2312"), "text/html")
        elif path == "/gbk-undeclared":
            _page(self, UNDECLARED_GBK_PAGE.encode("gbk"), "text/html")
        elif path == "/gzip":
            _page(self, gzip.compress(UTF8_PAGE.encode()), Content_Encoding="gzip")
        elif path == "/新闻/通知 1":
            _page(self, "<title>中文路径</title>".encode())
        elif path == "/late-title":
            _page(self, b"<html><!--" + b"x" * 8000 + b"--><title>too late</title></html>")
        elif path == "/undeclared-utf8":
            _page(self, CUT_TITLE + "正文".encode(), "text/html")
        elif path == "/long-title":
            _page(self, ("<title>" + "长" * 1000 + "</title>").encode())
        elif path == "/r1":
            _redirect(self, 302, "/r2")
        elif path == "/r2":
            _redirect(self, 301, f"http://127.0.0.1:{self.server.server_port}/utf8")
        elif path.startswith("/hops/"):
            left = int(path.rsplit("/", 1)[1])
            if left:
                _redirect(self, 302, f"/hops/{left - 1}")
            else:
                _page(self, b"<title>arrived</title>")
        elif path == "/slow-redirect":
            time.sleep(0.8)
            _redirect(self, 302, "/slow")
        elif path == "/loop":
            _redirect(self, 302, "/loop")
        elif path == "/to-ftp":
            _redirect(self, 302, "ftp://127.0.0.1/file")
        elif path in ("/404", "/500"):
            _page(self, b"<title>error</title>", status=int(path[1:]))
        elif path == "/slow":
            time.sleep(3)
            with contextlib.suppress(OSError):  # the client gave up long ago
                _page(self, b"<title>too slow</title>")
        elif path == "/report.pdf":
            _page(self, b"%PDF-1.4 <title>not html</title>", "application/pdf")
        else:
            _page(self, b"not found", "text/plain", status=404)


class ProxyHandler(http.server.BaseHTTPRequestHandler):
    """A minimal forward proxy: receives absolute-URI GETs, records them, fetches them with http.client."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.requests.append(self.path)
        target = urlsplit(self.path)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "connection")}
        conn = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=5)
        try:
            conn.request("GET", target.path + (f"?{target.query}" if target.query else ""), headers=headers)
            upstream = conn.getresponse()
            body = upstream.read()
        except OSError as exc:
            # Report the failure the way proxies do (RFC 9209), so the client can tell it from the site's answer.
            kind = "dns_error" if isinstance(exc, socket.gaierror) else "connection_refused"
            _page(self, b"proxy error", "text/plain", status=502, Proxy_Status=f"test-proxy; error={kind}")
            return
        finally:
            conn.close()
        self.send_response(upstream.status)
        for name, value in upstream.getheaders():
            if name.lower() not in ("connection", "transfer-encoding", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _serve(handler):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return server, thread


@pytest.fixture(scope="module")
def servers():
    started = [_serve(OriginHandler), _serve(ProxyHandler)]
    yield started[0][0], started[1][0]
    for server, thread in started:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def origin(servers):
    servers[0].requests.clear()
    return f"http://127.0.0.1:{servers[0].server_port}"


@pytest.fixture
def proxy(servers):
    servers[1].requests.clear()
    return f"http://127.0.0.1:{servers[1].server_port}"


@pytest.fixture(autouse=True)
def _no_proxy_environment(monkeypatch):
    # NO_PROXY=127.0.0.1 (common on dev machines) would make urllib bypass the test proxy.
    for name in ("http_proxy", "https_proxy", "no_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_utf8_page_title_is_collapsed_and_unescaped(origin):
    result = check_url(f"{origin}/utf8")
    assert isinstance(result, LinkCheckResult)
    assert (result.status, result.status_code, result.error) == ("ok", 200, "")
    assert result.final_url == f"{origin}/utf8"
    assert result.title == "鲁山县人民政府 & 法治政府建设"
    assert result.checked_at.tzinfo is not None


@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("/gbk-meta", "鲁山县司法局 — 法治宣传"),
        ("/gb2312-equiv", "县政府办公室通知"),
        ("/gbk-undeclared", "行政执法公示"),
        ("/gzip", "鲁山县人民政府 & 法治政府建设"),
        ("/新闻/通知 1", "中文路径"),
    ],
)
def test_titles_in_chinese_encodings(origin, path, title):
    result = check_url(origin + path)
    assert (result.status, result.title) == ("ok", title)


def test_request_looks_like_a_chinese_browser(origin, servers):
    check_url(f"{origin}/utf8")
    _, headers = servers[0].requests[-1]
    assert headers["User-Agent"].startswith("Mozilla/5.0")
    assert headers["Accept-Language"].startswith("zh-CN")


def test_body_read_is_capped_and_title_truncated(origin):
    assert check_url(f"{origin}/late-title", max_bytes=1024).title == ""
    assert check_url(f"{origin}/late-title").title == "too late"
    assert check_url(f"{origin}/long-title").title == "长" * 300


def test_utf8_character_cut_by_max_bytes_does_not_spoil_the_title(origin):
    # Cutting "正" after its first byte must not make the page look like GBK.
    assert check_url(f"{origin}/undeclared-utf8", max_bytes=len(CUT_TITLE) + 1).title == "法治鲁山"
    assert check_url(f"{origin}/undeclared-utf8").title == "法治鲁山"


def test_redirect_chain_reports_final_url(origin, servers):
    result = check_url(f"{origin}/r1")
    assert (result.status, result.status_code, result.final_url) == ("ok", 200, f"{origin}/utf8")
    assert result.title.startswith("鲁山县人民政府")
    assert [path for path, _ in servers[0].requests] == ["/r1", "/r2", "/utf8"]


@pytest.mark.parametrize(("hops", "status"), [(10, "ok"), (11, "broken")])
def test_at_most_ten_redirects(origin, hops, status):
    result = check_url(f"{origin}/hops/{hops}")
    assert result.status == status
    assert result.error == ("" if status == "ok" else "重定向次数过多")


def test_redirect_loop_is_broken(origin):
    result = check_url(f"{origin}/loop")
    assert (result.status, result.error) == ("broken", "重定向次数过多")


def test_redirect_to_other_scheme_is_broken(origin):
    assert check_url(f"{origin}/to-ftp").status == "broken"


@pytest.mark.parametrize("code", [404, 500])
def test_server_errors_are_broken(origin, code):
    result = check_url(f"{origin}/{code}")
    assert (result.status, result.status_code, result.error) == ("broken", code, f"服务器返回 {code}")
    assert result.final_url == f"{origin}/{code}"


def test_slow_server_times_out_as_unreachable(origin):
    started = time.monotonic()
    result = check_url(f"{origin}/slow", timeout=0.5)
    assert time.monotonic() - started < 2
    assert (result.status, result.status_code, result.final_url, result.error) == ("unreachable", None, "", "连接超时")


def test_timeout_covers_the_whole_redirect_chain(origin):
    # The redirect takes 0.8 s of the 1 s budget, so the next hop may wait only 0.2 s, not a fresh second.
    started = time.monotonic()
    result = check_url(f"{origin}/slow-redirect", timeout=1.0)
    assert time.monotonic() - started < 1.4
    assert (result.status, result.error) == ("unreachable", "连接超时")


def test_pdf_is_ok_without_title(origin):
    result = check_url(f"{origin}/report.pdf")
    assert (result.status, result.status_code, result.title) == ("ok", 200, "")


def test_closed_port_is_unreachable():
    result = check_url(f"http://127.0.0.1:{_closed_port()}/")
    assert (result.status, result.error) == ("unreachable", "无法连接（可能没有外网）")


def test_unresolvable_host_is_unreachable():
    started = time.monotonic()
    result = check_url("http://no-such-host.invalid/", timeout=2)
    assert (result.status, result.error) == ("unreachable", "无法解析域名")
    assert time.monotonic() - started < 10


def test_tls_failure_is_unreachable(origin):
    result = check_url(origin.replace("http://", "https://") + "/utf8", timeout=2)
    assert (result.status, result.error) == ("unreachable", "安全连接（HTTPS）失败")


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "file:///etc/passwd", "ftp://example.com/a", "", "http://", "http://host:port/"]
)
def test_non_web_urls_are_broken_without_network(monkeypatch, url):
    def no_network(*args, **kwargs):
        raise AssertionError("network used")

    monkeypatch.setattr(urllib.request.OpenerDirector, "open", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    result = check_url(url)
    assert (result.status, result.status_code, result.error) == ("broken", None, "不是有效的网址")


def test_proxy_is_used_only_when_configured(origin, proxy, servers):
    proxied = check_url(f"{origin}/r1", proxy=proxy)
    assert (proxied.status, proxied.final_url, proxied.title[:7]) == ("ok", f"{origin}/utf8", "鲁山县人民政府")
    assert servers[1].requests == [f"{origin}/r1", f"{origin}/r2", f"{origin}/utf8"]

    servers[1].requests.clear()
    assert check_url(f"{origin}/utf8", proxy=None).status == "ok"
    assert servers[1].requests == []


def test_server_error_relayed_by_proxy_is_still_broken(origin, proxy):
    result = check_url(f"{origin}/404", proxy=proxy)
    assert (result.status, result.status_code) == ("broken", 404)


def test_proxy_that_cannot_reach_the_site_is_unreachable(proxy, servers):
    result = check_url("http://no-such-host.invalid/", proxy=proxy)
    assert servers[1].requests == ["http://no-such-host.invalid/"]
    assert (result.status, result.status_code) == ("unreachable", None)
    assert result.error.startswith("代理服务器无法访问该网址")


def test_dead_proxy_is_unreachable(origin):
    result = check_url(f"{origin}/utf8", proxy=f"http://127.0.0.1:{_closed_port()}")
    assert (result.status, result.final_url, result.error) == ("unreachable", "", "代理服务器无法连接")


def test_environment_proxy_is_ignored_without_proxy(monkeypatch, origin):
    dead = f"http://127.0.0.1:{_closed_port()}"
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, dead)
    assert urllib.request.getproxies()["http"] == dead  # urllib's default opener would use it
    result = check_url(f"{origin}/utf8")
    assert (result.status, result.status_code) == ("ok", 200)
