"""The demo pages at ``/`` and the MessagePack library's browser build."""

from django.urls import path

from . import views

app_name = "client_demo"

urlpatterns = [
    path("", views.index, name="index"),
    path("client/msgpack/<path:name>", views.msgpack_module, name="msgpack"),
]
