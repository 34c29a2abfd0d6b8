"""Settings, read from the environment with defaults that run on one laptop.

``DATABASE_URL`` unset: a SQLite file. ``REDIS_URL`` unset: the in-memory channel
layer and the memory matchmaker. Every game-server knob is ``GAMESERVER_*``.
"""

import json
import os
from pathlib import Path

import dj_database_url

from gameserver.secret import secret_key

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return default if value in (None, "") else float(value)


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


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

# Hostile clients: the key, the addresses, and the limits per player, address and match.
# Without SECRET_KEY one process makes its own key once and keeps it in the data
# directory; many processes (REDIS_URL) must share one, so then it is required.
GAMESERVER_DATA_DIR = Path(os.environ.get("GAMESERVER_DATA_DIR") or BASE_DIR / "var")
SECRET_KEY = secret_key(os.environ.get("SECRET_KEY", ""), GAMESERVER_DATA_DIR, REDIS_URL)
GAMESERVER_TRUSTED_PROXIES = env_list("GAMESERVER_TRUSTED_PROXIES", "")
GAMESERVER_UNLIMITED_ADDRESSES = env_list("GAMESERVER_UNLIMITED_ADDRESSES", "")
GAMESERVER_METRICS_ADDRESSES = env_list("GAMESERVER_METRICS_ADDRESSES", "127.0.0.1,::1")
GAMESERVER_METRICS_TOKEN = os.environ.get("GAMESERVER_METRICS_TOKEN", "")
GAMESERVER_MAX_SOCKETS_PER_PLAYER = int(env_float("GAMESERVER_MAX_SOCKETS_PER_PLAYER", 8))
GAMESERVER_MAX_SPECTATORS = int(env_float("GAMESERVER_MAX_SPECTATORS", 100))
GAMESERVER_GUESTS_PER_MINUTE = env_float("GAMESERVER_GUESTS_PER_MINUTE", 30)
GAMESERVER_HANDSHAKE_TIMEOUT = env_float("GAMESERVER_HANDSHAKE_TIMEOUT", 10)
GAMESERVER_PLAYER_CACHE_TTL = env_float("GAMESERVER_PLAYER_CACHE_TTL", 30)
GAMESERVER_WS_COMPRESSION = env_bool("GAMESERVER_WS_COMPRESSION", False)
# Slow and flooding clients: each socket's outgoing queue, and when a flood is closed.
# A socket more than GAMESERVER_SEND_QUEUE frames or GAMESERVER_SEND_QUEUE_BYTES behind,
# or whose frames have not moved for GAMESERVER_SEND_TIMEOUT seconds, is closed (4408).
GAMESERVER_SEND_QUEUE = int(env_float("GAMESERVER_SEND_QUEUE", 256))
GAMESERVER_SEND_QUEUE_BYTES = int(env_float("GAMESERVER_SEND_QUEUE_BYTES", 1024 * 1024))
GAMESERVER_SEND_TIMEOUT = env_float("GAMESERVER_SEND_TIMEOUT", 5)
# More than GAMESERVER_RATE_STRIKES refusals within this many seconds close with 4429.
GAMESERVER_RATE_WINDOW = env_float("GAMESERVER_RATE_WINDOW", 5)
# Griefing: a matched player who never connects. The join timeout above abandons the
# match; the players who came go back to the queue at their place, and the no-show may
# not queue again for this many seconds (error ``cooldown``). 0: no cooldown.
GAMESERVER_NOSHOW_COOLDOWN = env_float("GAMESERVER_NOSHOW_COOLDOWN", 30)
# Parties and bots: how long a lone ticket that asked for bots waits before bots fill
# its match, how long a bot waits before it moves, the party size, and how long a
# party in Redis outlives a process that died without saying its members left.
GAMESERVER_BOT_FILL = env_float("GAMESERVER_BOT_FILL", 8)
GAMESERVER_BOT_DELAY = env_float("GAMESERVER_BOT_DELAY", 0.4)
GAMESERVER_BOT_THREADS = int(env_float("GAMESERVER_BOT_THREADS", 2))
GAMESERVER_PARTY_SIZE = int(env_float("GAMESERVER_PARTY_SIZE", 8))
GAMESERVER_PARTY_TTL = env_float("GAMESERVER_PARTY_TTL", 20)
# Crash safety: how fast a dead process's matches move, and how often real-time inputs
# are made durable (a rebuilt real-time match resumes from the last write).
GAMESERVER_PROCESS_TTL = env_float("GAMESERVER_PROCESS_TTL", 1.5)
GAMESERVER_INPUT_JOURNAL_INTERVAL = env_float("GAMESERVER_INPUT_JOURNAL_INTERVAL", 1.0)
# Ranked play: the matchmaker's skill window (protocol.md, "Ranked matchmaking"),
# leaderboard pages, and how often each process looks for bans it may have missed.
GAMESERVER_SKILL_WINDOW = env_float("GAMESERVER_SKILL_WINDOW", 5.0)
GAMESERVER_SKILL_WIDEN = env_float("GAMESERVER_SKILL_WIDEN", 1.0)
GAMESERVER_LEADERBOARD_PAGE_SIZE = int(env_float("GAMESERVER_LEADERBOARD_PAGE_SIZE", 20))
GAMESERVER_BAN_SWEEP = env_float("GAMESERVER_BAN_SWEEP", 5.0)
