"""Background check of a public web link submitted as evidence: HTTP status, final URL, page title.

Government intranets often have no route to the internet, so a network-level failure is "unreachable"
(UI: 无法检测), never "broken"; "broken" is kept for answers the web server itself gave. Standard library only.
"""

import codecs
import html
import http.client
import re
import socket
import ssl
import string
import time
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlsplit, urlunsplit

from django.utils import timezone

MAX_REDIRECTS = 10
TITLE_MAX_CHARS = 300
_HEADERS = {
    # Some county sites answer 403 to unknown clients, so look like an ordinary desktop browser.
    "User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "zh-CN,zh;q=0.9",
}
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
# GB2312/GBK declarations are routinely wrong about rarer characters; GB18030 is a superset of both.
_CODEC_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030"}


@dataclass(frozen=True)
class LinkCheckResult:
    status: str  # "ok" | "broken" | "unreachable"
    status_code: int | None
    final_url: str
    title: str
    error: str
    checked_at: datetime


class _Broken(Exception):
    """The server's redirects cannot be followed; the message is shown to users."""


class _RedirectHandler(urllib.request.HTTPRedirectHandler):
    # The stdlib gives up on a URL repeated 4 times; we count every hop against MAX_REDIRECTS instead.
    max_repeats = max_redirections = MAX_REDIRECTS + 1

    def __init__(self, deadline: float):
        self.deadline = deadline

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        remaining = self.deadline - time.monotonic()
        if sum(getattr(req, "redirect_dict", {}).values()) >= MAX_REDIRECTS:
            problem = _Broken("重定向次数过多")
        elif urlsplit(newurl).scheme.lower() not in ("http", "https"):
            problem = _Broken("重定向到无效的网址")  # the stdlib would follow ftp:// too
        elif remaining <= 0:
            problem = TimeoutError()
        else:
            # The next hop is opened with req.timeout: shrink it so the whole chain stays within the budget.
            req.timeout = remaining
            return super().redirect_request(req, fp, code, msg, headers, newurl)
        fp.close()
        raise problem


def check_url(
    url: str, *, proxy: str | None = None, timeout: float = 10.0, max_bytes: int = 256 * 1024
) -> LinkCheckResult:
    """GET ``url`` (following up to 10 redirects) and report its status, final URL and HTML title.

    ``proxy`` ("http://host:port", used for both http and https) or ``None`` for a direct connection; the
    HTTP(S)_PROXY environment variables are never used, NO_PROXY is honoured for an explicit proxy.
    ``timeout`` bounds each network wait and the redirect chain plus body read as a whole (DNS lookups
    are up to the system resolver). At most ``max_bytes`` of an HTML body are read, to find the title.
    Never raises for network problems: they give status "unreachable".
    """
    target = _normalise(url)
    if target is None:
        return _result("broken", error="不是有效的网址")
    deadline = time.monotonic() + timeout
    # An explicit (even empty) ProxyHandler stops urllib from reading proxies from the environment.
    proxies = {"http": proxy, "https": proxy} if proxy else {}
    opener = urllib.request.build_opener(urllib.request.ProxyHandler(proxies), _RedirectHandler(deadline))
    try:
        # S310: _normalise lets only http(s) through, and the redirect handler refuses other schemes.
        with opener.open(urllib.request.Request(target, headers=_HEADERS), timeout=timeout) as response:  # noqa: S310
            title = _read_title(response, max_bytes, deadline)
            return _result("ok", response.status, response.geturl(), title)
    except _Broken as exc:
        return _result("broken", error=str(exc))
    except urllib.error.HTTPError as exc:  # before OSError: HTTPError is a URLError is an OSError
        exc.close()
        headers = exc.headers or {}
        if proxy and (exc.code == 407 or "X-Squid-Error" in headers or "error=" in headers.get("Proxy-Status", "")):
            # The proxy itself answered: it could not (or may not) reach the site, which says nothing of the link.
            return _result("unreachable", error=f"代理服务器无法访问该网址（{exc.code}）")
        error = f"重定向无效（服务器返回 {exc.code}）" if 300 <= exc.code < 400 else f"服务器返回 {exc.code}"
        return _result("broken", exc.code, exc.geturl(), error=error)
    except (OSError, http.client.HTTPException) as exc:
        return _result("unreachable", error=_network_error(exc, proxy))


def _result(status: str, code: int | None = None, final_url: str = "", title: str = "", error: str = ""):
    return LinkCheckResult(status, code, final_url, title, error, timezone.now())


def _normalise(url: str) -> str | None:
    """Return an ASCII http(s) URL ready for http.client, or None when ``url`` is not one."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a non-numeric or out-of-range port
        netloc = parts.netloc if parts.netloc.isascii() else parts.netloc.encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    # Links copied from Chinese pages often hold raw Chinese characters or spaces; http.client sends ASCII only.
    path, query = (quote(part, safe=string.punctuation) for part in (parts.path, parts.query))
    return urlunsplit((parts.scheme.lower(), netloc, path, query, ""))


def _network_error(exc: BaseException, proxy: str | None) -> str:
    """A short Chinese explanation of a failure to talk to the server (or proxy) at all."""
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException):
        exc = exc.reason
    if isinstance(exc, TimeoutError):  # socket.timeout is an alias of TimeoutError
        return "连接超时"
    if isinstance(exc, ssl.SSLError):
        return "安全连接（HTTPS）失败"
    if proxy and "Tunnel connection failed" in str(exc):  # CONNECT refused by the proxy for an https URL
        return "代理服务器无法访问该网址"
    if proxy and isinstance(exc, OSError) and not isinstance(exc, ConnectionResetError):
        return "代理服务器无法连接"  # with a proxy, every connection goes to the proxy
    if isinstance(exc, socket.gaierror):
        return "无法解析域名"
    if isinstance(exc, ConnectionResetError | ConnectionAbortedError | http.client.HTTPException):
        return "连接被中断"
    return "无法连接（可能没有外网）"


def _read_title(response, max_bytes: int, deadline: float) -> str:
    """The collapsed <title> of an HTML response, reading at most ``max_bytes``; "" for anything else."""
    if response.headers.get_content_type() not in _HTML_TYPES:
        return ""
    chunks, size = [], 0
    try:
        while size < max_bytes and time.monotonic() < deadline:
            chunk = response.read(min(64 * 1024, max_bytes - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except (OSError, http.client.HTTPException):
        pass  # the status is already known; a cut-off page usually still has its title near the top
    body = b"".join(chunks)
    if response.headers.get("Content-Encoding", "").strip().lower() in ("gzip", "deflate"):
        try:  # some servers compress although we did not ask; wbits=47 accepts gzip and zlib headers
            body = zlib.decompressobj(47).decompress(body, max_bytes)
        except zlib.error:
            return ""
    match = _TITLE.search(_decode(body, response.headers.get_content_charset()))
    return " ".join(html.unescape(match.group(1)).split())[:TITLE_MAX_CHARS] if match else ""


def _decode(body: bytes, declared: str | None) -> str:
    """Decode with the header charset, else a <meta> charset, else UTF-8, else GB18030 (GBK sites)."""
    meta = _META_CHARSET.search(body[:4096])
    for name in (declared, meta and meta.group(1).decode("ascii"), "utf-8"):
        if not name:
            continue
        try:
            # An incremental decoder with final=False tolerates a character cut in half by max_bytes.
            return codecs.getincrementaldecoder(_CODEC_ALIASES.get(name.lower(), name))().decode(body)
        except (LookupError, UnicodeDecodeError):
            continue  # unknown or wrong declaration: try the next guess
    return body.decode("gb18030", errors="replace")
