from django.urls import re_path

from .consumers import MatchConsumer

websocket_urlpatterns = [
    re_path(r"^ws/match/(?P<match_id>[^/]{1,64})/$", MatchConsumer.as_asgi()),
]
