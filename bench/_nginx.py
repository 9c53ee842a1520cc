"""nginx as the benchmarks' upstream (static files) and as a reference proxy.

Each nginx runs in the foreground as one process with one worker, from a config, pid
file, error log and temporary folders in a temporary directory of its own
(``nginx -p DIR -c DIR/nginx.conf -e DIR/error.log -g 'daemon off;'``), on a free
loopback port; no root is needed. Started as root, nginx runs its worker as an
unprivileged user, so the directory is made readable to every user.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from string import Template
from typing import Final

from bench._processes import free_port, spawn, stop, tool, wait_for_port

_CONFIG: Final = Template("""\
worker_processes 1;
pid $folder/nginx.pid;
error_log $folder/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $folder/client_body;
    proxy_temp_path $folder/proxy;
    fastcgi_temp_path $folder/fastcgi;
    uwsgi_temp_path $folder/uwsgi;
    scgi_temp_path $folder/scgi;
    types { application/json json; }
    default_type application/octet-stream;
    charset utf-8;
    charset_types application/json;
$http
}
""")
_UPSTREAM: Final = Template("""
    server {
        listen 127.0.0.1:$port;
        root $folder/www;
        location / { }
    }""")
_PROXY: Final = Template("""
    upstream origin {
        server $origin;
        keepalive 32;
    }
    server {
        listen 127.0.0.1:$port;
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }""")


def executable() -> str:
    """The nginx executable (``/usr/sbin`` is often not on a user's ``PATH``)."""
    return tool("nginx", "bench-tools", "/usr/sbin:/usr/local/sbin")


@contextmanager
def _nginx(name: str, http: Template, files: Mapping[str, bytes], **values: str) -> Iterator[str]:
    """nginx serving the ``http`` block (``$port``, ``$folder`` and ``values`` filled in);
    yields its URL.

    ``files`` maps paths under the served root (``$folder/www``) to their bytes.
    """
    port = free_port()
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as temp:
        folder = Path(temp)
        folder.chmod(0o755)
        for path, body in files.items():
            target = folder / "www" / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(body)
            target.chmod(0o644)
        block = http.substitute(port=port, folder=folder, **values)
        config = folder / "nginx.conf"
        config.write_text(_CONFIG.substitute(folder=folder, http=block))
        argv = [
            executable(),
            "-p",
            f"{folder}/",
            "-c",
            str(config),
            "-e",
            str(folder / "error.log"),
        ]
        proc = spawn([*argv, "-g", "daemon off;"])
        try:
            wait_for_port(proc, port, f"nginx ({name})")
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(proc)


@contextmanager
def upstream(files: Mapping[str, bytes]) -> Iterator[str]:
    """nginx serving ``files`` (path to bytes; ``.json`` as ``application/json``)."""
    with _nginx("upstream", _UPSTREAM, files) as url:
        yield url


@contextmanager
def proxy(upstream_url: str) -> Iterator[str]:
    """nginx passing every request on to ``upstream_url``, over kept-alive connections."""
    origin = upstream_url.removeprefix("http://")
    with _nginx("proxy", _PROXY, {}, origin=origin) as url:
        yield url
