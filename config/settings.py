"""Atlas settings, read from the environment.

With nothing set this is the embedded default: SQLite (WAL) under var/, django-q2's ORM broker,
local media under var/media, e-mails written to var/mail/, and a secret key generated once into var/.
Scale-out is configuration only: DATABASE_URL, REDIS_URL, AWS_STORAGE_BUCKET_NAME, EMAIL_HOST.
"""

import ipaddress
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ATLAS_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

VERSION = "0.1.0"

# OpenMP's busy-waiting threads make torch several times slower on a loaded machine (workers share
# cores); passive waiting costs nothing when the cores are free. Must be set before torch is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def env_bool(name, default=False):
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


def _local_secret_key():
    """Generated once into var/ and reused, so sessions and tokens survive restarts."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = os.environ.get("SECRET_KEY") or _local_secret_key()
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# The public address used in links inside e-mails when no request is at hand.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "rest_framework",
    "rest_framework_simplejwt",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from here: the docs work offline
    "django_q",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "core",
    "accounts",
    "roles",
    "captures",
    "gallery",
    "faces",
    "generation",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
SITE_ID = 1

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dashboard.context_processors.dashboard",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}", conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while a worker writes; IMMEDIATE avoids lock upgrades failing.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (throttling, one-time codes) -----------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # Files, not process memory: gunicorn workers and the cluster must see the same counters.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Task queue (django-q2) -----------------------------------------------------------------
# Gaussian splatting: the longest a reconstruction may run, its default length, and the cap on splats.
RECONSTRUCTION_TIMEOUT = int(os.environ.get("ATLAS_RECONSTRUCTION_TIMEOUT", str(6 * 3600)))
# Quality preset of a reconstruction that asks for none (captures/reconstruction/presets.py: draft, standard,
# high); ATLAS_RECONSTRUCTION_ITERATIONS, when set, replaces its iteration count.
RECONSTRUCTION_PRESET = os.environ.get("ATLAS_RECONSTRUCTION_PRESET", "standard")
RECONSTRUCTION_DEFAULT_ITERATIONS = (int(os.environ["ATLAS_RECONSTRUCTION_ITERATIONS"])
                                     if os.environ.get("ATLAS_RECONSTRUCTION_ITERATIONS") else None)
# Seed 004's file URLs of a private capture work without a token until they expire, as presigned URLs do.
FILE_URL_LIFETIME = timedelta(hours=int(os.environ.get("ATLAS_FILE_URL_HOURS", "6")))
RECONSTRUCTION_METHOD = os.environ.get("ATLAS_RECONSTRUCTION_METHOD", "gaussian-splatting")
# Long side in pixels of the frames structure-from-motion sees (HD). The preset's splat budget, frame count and
# training size (long side) apply unless these are set.
RECONSTRUCTION_FRAME_SIZE = int(os.environ.get("ATLAS_FRAME_SIZE", "1280"))
RECONSTRUCTION_MAX_GAUSSIANS = int(os.environ["ATLAS_MAX_GAUSSIANS"]) if os.environ.get("ATLAS_MAX_GAUSSIANS") else None
RECONSTRUCTION_FRAME_COUNT = int(os.environ["ATLAS_FRAME_COUNT"]) if os.environ.get("ATLAS_FRAME_COUNT") else None
RECONSTRUCTION_TRAIN_SIZE = int(os.environ["ATLAS_TRAIN_SIZE"]) if os.environ.get("ATLAS_TRAIN_SIZE") else None

# The longest any job may run; every pipeline's own timeout is at most this.
LONGEST_JOB = max(int(os.environ.get("ATLAS_TASK_TIMEOUT", "0")), RECONSTRUCTION_TIMEOUT)
Q_CLUSTER = {
    "name": "atlas",
    "workers": int(os.environ.get("ATLAS_WORKERS", "2")),
    # Pipelines run for hours: the timeout bounds one job, and retry must be longer than it,
    # otherwise the broker hands a job that is still running to a second worker.
    "timeout": LONGEST_JOB,
    "retry": LONGEST_JOB + 600,
    "max_attempts": 1,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 1000,
    "label": "Task queue",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# A running job beats every ITEM_HEARTBEAT_SECONDS; one silent for ITEM_STALE_AFTER_SECONDS has lost its worker.
# A worker process found dead on its own machine is known at once (gallery.services.worker_is_gone).
ITEM_HEARTBEAT_SECONDS = 10
ITEM_STALE_AFTER_SECONDS = 60
# Each job works in a folder of its own under this one (one per machine and installation: under var/, so two
# installations on one machine never take each other's folders for abandoned ones); folders of jobs whose
# worker is gone are removed when the machine next starts a job or recovers items.
ITEM_WORK_ROOT = Path(os.environ.get("ATLAS_WORK_DIR") or VAR_DIR / "work")

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "roles.backends.RolePermissionBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "accounts.validators.PasswordComplexityValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {"login": "dashboard.forms.accounts.SignInForm"}
SOCIALACCOUNT_ADAPTER = "accounts.adapter.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Atlas] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"

GOOGLE_CLIENT_IDS = env_list("GOOGLE_CLIENT_ID")
# Google's public signing keys. Tests inject a local key set through GOOGLE_JWKS instead.
GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v3/certs"
GOOGLE_JWKS = None
SOCIALACCOUNT_PROVIDERS = {
    "google": {
        "APPS": [{"client_id": cid, "secret": os.environ.get("GOOGLE_CLIENT_SECRET", ""), "key": ""}
                 for cid in GOOGLE_CLIENT_IDS[:1]],
        "SCOPE": ["profile", "email"],
    }
}

# Tokens: every door issues simplejwt tokens bound to a server-side accounts.Session.
ACCESS_TOKEN_LIFETIME = timedelta(hours=1)
REFRESH_TOKEN_LIFETIME = timedelta(days=14)
# Scenes and studio clients have no refresh call, so their tokens live longer (still revocable).
DOOR_TOKEN_LIFETIME = timedelta(days=int(os.environ.get("ATLAS_DOOR_TOKEN_DAYS", "7")))
API_TOKEN_LIFETIME = timedelta(hours=int(os.environ.get("ATLAS_API_TOKEN_HOURS", "24")))
LOGIN_CODE_LIFETIME = timedelta(minutes=15)

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": ACCESS_TOKEN_LIFETIME,
    "REFRESH_TOKEN_LIFETIME": REFRESH_TOKEN_LIFETIME,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": SECRET_KEY,
    "USER_ID_FIELD": "public_id",
    "USER_ID_CLAIM": "sub",
    "AUTH_HEADER_TYPES": ("Bearer",),
    "UPDATE_LAST_LOGIN": False,
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.SessionTokenAuthentication",
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",  # DRF's, with a bound on nesting
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Per account (or API key) and per client address, for sign-in, password reset and mail resend; every door's
# sign-in shares the same counters (doors/throttles.py).
THROTTLE_RATES = {
    "address": os.environ.get("ATLAS_THROTTLE_ADDRESS", "5/min"),
    "ip": os.environ.get("ATLAS_THROTTLE_IP", "30/min"),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Atlas API",
    "DESCRIPTION": (
        "One house, five doors: atlas (/atlas/...), scenes (/user/...), Face ID (/api/v1/auth, "
        "/api/v1/projects), studio (/register, /login, ...) and captures (/api/v1/captures), whose clients sign "
        "in at /oauth2/token with an API key pair."
    ),
    "VERSION": VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One tag per operation, "<door>" or "<door>: <group>", listed door by door (tests/test_basics.py).
    "TAGS": [
        {"name": "atlas: accounts", "description": "Seed 000 §2: e-mail accounts, sessions, Google sign-in."},
        {"name": "atlas: items", "description": "Seed 000 §3-4: 3D models made from uploads, as items."},
        {"name": "atlas: roles", "description": "Seed 000 §5: the roles an account can hold."},
        {"name": "atlas: basics", "description": "Seed 000 §6: the server's version."},
        {"name": "scenes: accounts", "description": "Seed 001: username accounts."},
        {"name": "scenes: scenes", "description": "Seed 001: scenes trained from videos, and their outputs."},
        {"name": "scenes: basics", "description": "Seed 001: the server's health and routes."},
        {"name": "faceid: auth", "description": "Seed 002: API keys and API tokens (X-API-Token)."},
        {"name": "faceid: projects", "description": "Seed 002: projects, the sets of people recognised together."},
        {"name": "faceid: users", "description": "Seed 002: the people enrolled in a project (project users)."},
        {"name": "faceid: faces", "description": "Seed 002: a person's enrolled faces (base64 photos)."},
        {"name": "faceid: recognition", "description": "Seed 002: check-in and search: who is in this photo."},
        {"name": "studio: account", "description": "Seed 003: accounts, profiles and avatar photos."},
        {"name": "studio: user details", "description": "Seed 003: the body and face that avatars are made from."},
        {"name": "studio: clothes", "description": "Seed 003: the clothes catalogue, imported from Excel files."},
        {"name": "studio: generate", "description": "Seed 003: avatar pictures and videos, queued on the workers and "
                                               "polled by task id."},
        {"name": "studio: gallery", "description": "Seed 003: the finished pictures and videos, only the owner's."},
        {"name": "captures", "description": "Seed 004: captures, multi-part uploads and share links."},
        {"name": "captures: oauth2", "description": "Added to seed 004: access tokens for API key pairs (RFC 6749 "
                                                    "client credentials), as Teleport clients sign in."},
    ],
}

# --- Uploads --------------------------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # JSON bodies; files stream to disk instead
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Multi-part uploads (seed 004): part size, most parts per upload, largest file, URL life, abandonment.
UPLOAD_CHUNK_SIZE = int(os.environ.get("ATLAS_UPLOAD_CHUNK_MB", "64")) * 1024 * 1024
UPLOAD_MAX_PARTS = 10_000
UPLOAD_MAX_BYTES = int(os.environ.get("ATLAS_UPLOAD_MAX_GB", "50")) * 1024**3
UPLOAD_URL_LIFETIME = timedelta(hours=24)
UPLOAD_ABANDON_AFTER = timedelta(days=int(os.environ.get("ATLAS_UPLOAD_ABANDON_DAYS", "7")))
AVATAR_MAX_BYTES = 10 * 1024 * 1024
AVATAR_THUMBNAIL_SIZE = (256, 256)
AVATAR_MAX_SIDE = 2048  # the stored avatar's long side; larger photos are decoded reduced and scaled down
# Every picture people upload (avatars, photos, the photos in a zip) is refused above this many pixels,
# read from its header before it is decoded; media.images also makes it Pillow's own limit (core/apps.py).
IMAGE_MAX_PIXELS = int(os.environ.get("ATLAS_IMAGE_MAX_PIXELS", "50000000"))

# --- Face ID ----------------------------------------------------------------------------------
# "hog" (dlib's HOG detector: fast on a CPU) or "cnn" (dlib's CNN detector: finds turned and small faces, slower).
FACE_DETECTOR = os.environ.get("ATLAS_FACE_DETECTOR", "hog")
FACE_MAX_PER_PERSON = 20
FACE_MAX_SUBJECTS = int(os.environ.get("ATLAS_FACE_MAX_PEOPLE", "1000000"))
FACE_INDEXES_KEPT = 16  # projects whose search matrix each process keeps in memory
# Face ID sends photos as base64 inside JSON: an 8 MB photo is an 11 MB body.
FACE_BODY_MAX_BYTES = 12 * 1024 * 1024

# --- Avatar studio: the clothes catalogue (seed 003 /upload_clothes) ---------------------------
# The role (by name) an account needs to upload a catalogue: that role or one above it in the tree; unset, any
# signed-in account may. Reading (/get_clothes) is public.
STUDIO_CLOTHES_UPLOAD_ROLE = os.environ.get("ATLAS_CLOTHES_UPLOAD_ROLE") or None
STUDIO_CLOTHES_MAX_BYTES = int(os.environ.get("ATLAS_CLOTHES_MAX_MB", "5")) * 1024 * 1024
STUDIO_CLOTHES_MAX_ROWS = int(os.environ.get("ATLAS_CLOTHES_MAX_ROWS", "5000"))

# --- Storage and static files ---------------------------------------------------------------
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Front-end packages come from npm (package.json, installed by `make run`/`make test`); only the
# built files the pages load are published, under static/vendor/.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [BASE_DIR / "static"] + [
    (prefix, NODE_MODULES / folder)
    for prefix, folder in [
        ("vendor/pico", "@picocss/pico/css"),
        ("vendor/three", "three/build"),
        ("vendor/three-addons/controls", "three/examples/jsm/controls"),
        ("vendor/three-addons/loaders", "three/examples/jsm/loaders"),
        ("vendor/three-addons/utils", "three/examples/jsm/utils"),  # GLTFLoader imports BufferGeometryUtils
        ("vendor/gaussian-splats-3d", "@mkkellogg/gaussian-splats-3d/build"),
    ]
    if (NODE_MODULES / folder).exists()
]
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
STORAGES = {
    "default": (
        {"BACKEND": "storages.backends.s3.S3Storage",
         "OPTIONS": {"bucket_name": AWS_STORAGE_BUCKET_NAME,
                     "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None}}
        if AWS_STORAGE_BUCKET_NAME
        else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    ),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- E-mail ---------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Atlas <no-reply@atlas.local>")
MAIL_DIR = Path(os.environ.get("ATLAS_MAIL_DIR") or VAR_DIR / "mail")  # the embedded default's .eml files
if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "accounts.mail.FolderEmailBackend"

# --- Security -------------------------------------------------------------------------------
# Proxies whose X-Forwarded-For is believed (addresses or networks, e.g. "127.0.0.1,10.0.0.0/8"); with none,
# the client is the address that connected (see core/clients.py).
TRUSTED_PROXIES = [ipaddress.ip_network(proxy, strict=False) for proxy in env_list("ATLAS_TRUSTED_PROXIES")]
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Every page refuses to be framed except a public capture's embed page (/s/<sid>/embed), which other sites may
# frame: its Content-Security-Policy frame-ancestors lists these sources ("*": any site; e.g.
# "https://blog.example.com,https://*.example.org" to allow only those).
EMBED_FRAME_ANCESTORS = env_list("ATLAS_EMBED_FRAME_ANCESTORS", "*")
if env_bool("HTTPS"):
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LANGUAGE_CODE = "en-us"
# Timestamps in answers (e.g. Face ID's "2020-01-01T12:00:00.000000000+09:00") are written in this zone.
TIME_ZONE = os.environ.get("ATLAS_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
