"""Settings, read from the environment with defaults that run on one laptop.

``DATABASE_URL`` unset: a SQLite file. ``REDIS_URL`` unset: the in-memory channel
layer and the memory matchmaker. Every game-server knob is ``GAMESERVER_*``.
"""

import json
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return default if value in (None, "") else float(value)


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-set-SECRET_KEY-in-production")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "players",
    "match",
    "lobby",
    "client_demo",
    "loadtest",  # only for its management command: ``manage.py loadtest``
]

MIDDLEWARE = [
    "gameserver.http.api_errors",  # outermost: sees every answer of /api/
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "gameserver.urls"
ASGI_APPLICATION = "gameserver.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(env_float("DATABASE_CONN_MAX_AGE", 60)),
    )
}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Under ASGI every thread would keep its own persistent connection (Django's docs:
    # disable them, use a pool). psycopg's pool hands one out per database call instead
    # of connecting anew, which cost tens of ms per move under load.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": int(env_float("DATABASE_POOL_SIZE", 10)),
        "timeout": 10,
    }
elif DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the history API read while the match host writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # pubsub (default) or core: measured side by side in docs/deploy.md. redis-py's
    # stock pool (max 100, raises when exhausted) killed sockets under load, hence the size.
    _layer = os.environ.get("GAMESERVER_CHANNEL_LAYER", "pubsub")
    if _layer not in ("pubsub", "core"):
        raise ValueError(f"GAMESERVER_CHANNEL_LAYER must be pubsub or core, not {_layer!r}")
    _hosts = [{"address": url, "max_connections": 1000} for url in env_list("REDIS_URL", "")]
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": _hosts},
        }
        if _layer == "pubsub"
        else {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # Game frames are stale within seconds; a lagging consumer resyncs on a seq gap.
            # redis-py 8 times reads out at 5 s, as long as this layer's BZPOPMIN blocks.
            "CONFIG": {
                "hosts": [{**host, "socket_timeout": 10} for host in _hosts],
                "capacity": 1000,
                "expiry": 10,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "gameserver": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
        "lobby": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
        "match": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
        "players": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    },
}

# The game server's own knobs.
GAMESERVER_GAMES = env_list(
    "GAMESERVER_GAMES",
    "match.games.tictactoe.TicTacToe,match.games.tag.Tag,match.games.rps.RockPaperScissors",
)
# Options for every new match of a game, e.g. '{"tag": {"duration_s": 90}}'.
GAMESERVER_GAME_OPTIONS = json.loads(os.environ.get("GAMESERVER_GAME_OPTIONS") or "{}")
GAMESERVER_ALLOWED_ORIGINS = env_list("GAMESERVER_ALLOWED_ORIGINS", "")
GAMESERVER_TOKEN_MAX_AGE = env_float("GAMESERVER_TOKEN_MAX_AGE", 7 * 24 * 3600)
GAMESERVER_MAX_FRAME_BYTES = int(env_float("GAMESERVER_MAX_FRAME_BYTES", 64 * 1024))
GAMESERVER_RATE = env_float("GAMESERVER_RATE", 40)
GAMESERVER_RATE_BURST = env_float("GAMESERVER_RATE_BURST", 80)
GAMESERVER_RATE_STRIKES = int(env_float("GAMESERVER_RATE_STRIKES", 20))
GAMESERVER_JOIN_TIMEOUT = env_float("GAMESERVER_JOIN_TIMEOUT", 30)
GAMESERVER_RECONNECT_GRACE = env_float("GAMESERVER_RECONNECT_GRACE", 30)
GAMESERVER_FILL_TIMEOUT = env_float("GAMESERVER_FILL_TIMEOUT", 5)
# Sockets listen on the channel layer only when other processes may talk to them.
GAMESERVER_CROSS_PROCESS = env_bool("GAMESERVER_CROSS_PROCESS", bool(REDIS_URL))
GAMESERVER_HOST_TTL = env_float("GAMESERVER_HOST_TTL", 5)
GAMESERVER_REAP_INTERVAL = env_float("GAMESERVER_REAP_INTERVAL", 5)
GAMESERVER_PAGE_SIZE = int(env_float("GAMESERVER_PAGE_SIZE", 20))

# Ranked play: the matchmaker's skill window (protocol.md, "Ranked matchmaking"),
# leaderboard pages, and how often each process looks for bans it may have missed.
GAMESERVER_SKILL_WINDOW = env_float("GAMESERVER_SKILL_WINDOW", 5.0)
GAMESERVER_SKILL_WIDEN = env_float("GAMESERVER_SKILL_WIDEN", 1.0)
GAMESERVER_LEADERBOARD_PAGE_SIZE = int(env_float("GAMESERVER_LEADERBOARD_PAGE_SIZE", 20))
GAMESERVER_BAN_SWEEP = env_float("GAMESERVER_BAN_SWEEP", 5.0)
