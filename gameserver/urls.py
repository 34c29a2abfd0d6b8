from django.contrib import admin
from django.urls import include, path

from match import api
from players import api as players_api

from .health import healthz
from .metrics import metrics_view

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/guest", players_api.guest, name="guest"),
    path("api/token", players_api.refresh, name="token"),
    path("api/matches", api.matches, name="matches"),
    path("api/matches/<str:match_id>", api.match_detail, name="match-detail"),
    path("api/matches/<str:match_id>/replay", api.match_replay, name="match-replay"),
    path("api/leaderboard/<str:game>", players_api.leaderboard, name="leaderboard"),
    path("api/players/<str:player_id>", players_api.player_detail, name="player-detail"),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    path("", include("client_demo.urls")),
]
