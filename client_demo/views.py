"""Two small views: the single-page demo, and the ES build of ``@msgpack/msgpack``.

The MessagePack library arrives through npm (``npm ci`` in ``client_demo/``). It is
optional: without ``node_modules`` the module view answers 404 and the page speaks JSON.
"""

from __future__ import annotations

from pathlib import Path

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse

MSGPACK_DIR = Path(__file__).resolve().parent / "node_modules" / "@msgpack" / "msgpack" / "dist.esm"


def msgpack_installed() -> bool:
    return (MSGPACK_DIR / "index.mjs").is_file()


def index(request: HttpRequest) -> HttpResponse:
    """The demo: one page whose views (login, lobby, match, replay) are drawn by JS."""
    config = {
        "client": static("client_demo/gameserver-client.js"),
        "msgpack": reverse("client_demo:msgpack", args=["index.mjs"])
        if msgpack_installed()
        else None,
    }
    return render(request, "client_demo/index.html", {"config": config})


def msgpack_module(request: HttpRequest, name: str) -> FileResponse:
    """A ``.mjs`` file of the installed ``@msgpack/msgpack`` ES build, or 404."""
    if not name.endswith(".mjs"):
        raise Http404("not a module")
    base = MSGPACK_DIR.resolve()
    target = (base / name).resolve()
    if not target.is_relative_to(base) or not target.is_file():
        raise Http404("@msgpack/msgpack is not installed (run npm ci in client_demo/)")
    response = FileResponse(target.open("rb"), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    return response
