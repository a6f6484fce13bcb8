"""eRaha settings: one module, configured from the environment (see .env.example).

The embedded default is SQLite, a local media folder, the in-memory channel layer and console e-mail.
DATABASE_URL switches to PostgreSQL and REDIS_URL turns on Redis for the channel layer and the cache.
DJANGO_ENV=production turns on the production settings, which refuse to start without a secret key and
allowed hosts.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from eraha.env import env_bool, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("ERAHA_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DJANGO_ENV = env_str("DJANGO_ENV", "development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(
        f"Environment variable DJANGO_ENV must be 'development' or 'production', got {DJANGO_ENV!r}."
    )
PRODUCTION = DJANGO_ENV == "production"

if PRODUCTION:
    SECRET_KEY = env_str("DJANGO_SECRET_KEY", required=True)
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("Environment variable DJANGO_SECRET_KEY must be at least 50 characters.")
    ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("Environment variable DJANGO_ALLOWED_HOSTS is required in production.")
    DEBUG = False
else:
    # Development only: a fixed, public key. Production refuses to start without its own.
    SECRET_KEY = env_str("DJANGO_SECRET_KEY", "development-only-key-never-used-in-production")
    ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
    DEBUG = env_bool("DJANGO_DEBUG", False)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "djmoney",
    "django_htmx",
    "csp",
    "eraha",
    "people",
    "wallet",
    "payments",
    "tasks",
    "verification",
    "vouchers",
    "notifications",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "people.middleware.PreferredLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "people.mfa.StaffMFAMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "eraha.urls"
WSGI_APPLICATION = "eraha.wsgi.application"
ASGI_APPLICATION = "eraha.asgi.application"

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
                "django.template.context_processors.i18n",
                "eraha.context_processors.navigation",
                "wallet.context_processors.header_balance",
                "notifications.context_processors.live_status",
                "payments.context_processors.stripe_enabled",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
DATABASE_URL = env_url("DATABASE_URL", ("postgres", "postgresql", "sqlite"))
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
        DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int("DB_CONNECT_TIMEOUT", 5)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of failing
                # half-way with "database is locked"; the ledger relies on it.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer and cache ---------------------------------------------------------------
REDIS_URL = env_url("REDIS_URL", ("redis", "rediss", "unix"))
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py 8 reads with a 5 s socket timeout by default, the same as channels_redis's blocking
            # BZPOPMIN: idle consumers then die with TimeoutError. Read longer than that; connect fast.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 10, "socket_connect_timeout": 2}]},
        }
    }
    CACHES = {
        "default": {
            # Django's RedisCache, but a Redis outage reads as an empty cache instead of failing every page.
            "BACKEND": "eraha.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "eraha"),
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Sessions live in the database and are read through the cache (Redis in production), which saves a
# query on every signed-in page.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Accounts (django-allauth) --------------------------------------------------------------------
AUTH_USER_MODEL = "people.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_ADAPTER = "people.adapters.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[eRaha] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PRODUCTION else "http"
# Behind the reverse proxy every request comes from the proxy's address; with the proxy count set, allauth
# reads the client's address from X-Forwarded-For, so the per-IP login limit is per resident, not per city.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("ALLAUTH_TRUSTED_PROXY_COUNT", 0, minimum=0)
# allauth's rate limits are on by default; they are listed here so the city can see and tune them.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "request_login_code": "20/m/ip,3/m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "eRaha"
# One 30-second step of clock drift or queueing either way (RFC 6238's recommendation); a code is still
# accepted only once.
MFA_TOTP_TOLERANCE = 1
# WebAuthn needs https; plain http on localhost is allowed only outside production.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not PRODUCTION

# --- Languages and time ---------------------------------------------------------------------------
LANGUAGE_CODE = "fi"
LANGUAGES = [("fi", _("Finnish")), ("sv", _("Swedish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "eraha_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Europe/Helsinki"
USE_I18N = True
USE_TZ = True

# --- Money ----------------------------------------------------------------------------------------
CURRENCIES = ("XER", "EUR")
CURRENCY_CHOICES = [("XER", "eRaha"), ("EUR", "Euro")]
DEFAULT_CURRENCY = "XER"

# --- Static and media -----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Outside production whitenoise serves straight from the source folders, so no collectstatic is needed.
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_AUTOREFRESH = DEBUG
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- E-mail ---------------------------------------------------------------------------------------
# Links in e-mails point here (no request to take the host from when a sweep sends them).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "eRaha <noreply@eraha.example.fi>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_URL = env_str("EMAIL_HOST")
if EMAIL_URL:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = EMAIL_URL
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# --- Security -------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# No inline scripts anywhere: every script is a file under /static/.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", "https://tile.openstreetmap.org"],
        "connect-src": ["'self'", "ws:", "wss:"] if not PRODUCTION else ["'self'", "wss:"],
        "media-src": ["'self'", "blob:"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'", "https://checkout.stripe.com"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Stripe (optional: without keys the top-up feature is hidden) ---------------------------------
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
STRIPE_PUBLISHABLE_KEY = env_str("STRIPE_PUBLISHABLE_KEY")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
# Only for a local fake of the Stripe API (tests, stripe-mock); empty means the real API.
STRIPE_API_BASE = env_str("STRIPE_API_BASE")
STRIPE_TIMEOUT_SECONDS = env_int("STRIPE_TIMEOUT_SECONDS", 10, minimum=1)
STRIPE_MAX_NETWORK_RETRIES = env_int("STRIPE_MAX_NETWORK_RETRIES", 2, minimum=0)
# How old (seconds) a signed webhook may be before it is refused as a replay.
STRIPE_WEBHOOK_TOLERANCE = env_int("STRIPE_WEBHOOK_TOLERANCE", 300, minimum=1)
# Card top-up limits in euro cents, and the rate in eRaha cents per euro (100: 1 EUR = 1 eRaha).
TOP_UP_MIN_CENTS = env_int("TOP_UP_MIN_CENTS", 5_00, minimum=50)
TOP_UP_MAX_CENTS = env_int("TOP_UP_MAX_CENTS", 100_00, minimum=50)
TOP_UP_MONTHLY_MAX_CENTS = env_int("TOP_UP_MONTHLY_MAX_CENTS", 200_00, minimum=0)
TOP_UP_ERAHA_CENTS_PER_EURO = env_int("TOP_UP_ERAHA_CENTS_PER_EURO", 100, minimum=1)
TOP_UP_FIXED_AMOUNTS = [5_00, 10_00, 20_00, 50_00]
if TOP_UP_MIN_CENTS > TOP_UP_MAX_CENTS:
    raise ImproperlyConfigured("TOP_UP_MIN_CENTS must not be greater than TOP_UP_MAX_CENTS.")

# --- Demo -----------------------------------------------------------------------------------------
DEMO_PASSWORD = env_str("DEMO_PASSWORD", "eraha-demo")

# --- Ledger ---------------------------------------------------------------------------------------
# How much a resident may send to neighbours, in cents of eRaha (per local calendar day and month).
WALLET_NEIGHBOUR_DAILY_LIMIT = env_int("WALLET_NEIGHBOUR_DAILY_LIMIT", 50_00, minimum=0)
WALLET_NEIGHBOUR_MONTHLY_LIMIT = env_int("WALLET_NEIGHBOUR_MONTHLY_LIMIT", 200_00, minimum=0)
WALLET_STATEMENT_PAGE_SIZE = 25
# PostgreSQL: the posting call is a prepared statement. Turn off behind PgBouncer in transaction mode
# older than 1.21 (no prepared statement support there).
LEDGER_PREPARED_STATEMENTS = env_bool("LEDGER_PREPARED_STATEMENTS", True)
# Who is on the other side of a statement line: owner-key prefix → function(ids) -> {id: label}.
WALLET_OWNER_LABELS = {
    "user": "wallet.selectors.user_labels",
    "department": "wallet.selectors.department_labels",
}
# Pending items on the wallet page: functions user -> list of {"label": str, "amount": cents}.
WALLET_PENDING_PROVIDERS: list[str] = [
    "payments.selectors.pending_top_ups",
]
# Audit checks run by `manage.py ledger_audit` and after every test; apps append their own
# (dotted paths to functions returning a list of wallet.audit.Violation).
LEDGER_AUDIT_CHECKS = [
    "wallet.audit.check_legs_sum_to_zero",
    "wallet.audit.check_counters_match_entries",
    "wallet.audit.check_entry_chain",
    "wallet.audit.check_no_negative_accounts",
    "wallet.audit.check_total_is_zero",
    "wallet.audit.check_closed_escrows_are_empty",
    "wallet.audit.check_reversals_mirror_originals",
    "tasks.audit.check_ended_task_escrows_closed",
    "tasks.audit.check_escrow_covers_claims_in_progress",
    "wallet.audit.check_append_only_guards",
    "vouchers.audit.check_vouchers_equal_liability",
    "payments.audit.check_one_credit_per_top_up",
]

# Pluggable lists the management commands walk; each app adds its own entry.
DEMO_SEEDERS = [
    "people.demo.seed",
    "wallet.demo.seed",
    "tasks.demo.seed",
    "vouchers.demo.seed",
    "verification.demo.seed",
]
SWEEPS: list[str] = [
    "tasks.services.sweep",
    "vouchers.services.sweep",
    "verification.services.sweep",
    "payments.services.sweep",
]

# Rate limits per user (partner API: per token), (count, seconds); see eraha/ratelimit.py and docs/security.md.
# Voucher code lookups are limited so codes cannot be enumerated.
RATE_LIMITS = {
    "claims": (env_int("RATE_LIMIT_CLAIMS_PER_10_MINUTES", 20, minimum=1), 600),
    "proof_uploads": (env_int("RATE_LIMIT_PROOF_UPLOADS_PER_10_MINUTES", 20, minimum=1), 600),
    "neighbour_payments": (env_int("RATE_LIMIT_NEIGHBOUR_PAYMENTS_PER_HOUR", 60, minimum=1), 3600),
    "top_ups": (env_int("RATE_LIMIT_TOP_UPS_PER_HOUR", 10, minimum=1), 3600),
    "partner_api": (env_int("VOUCHER_TOKEN_LOOKUPS_PER_MINUTE", 600, minimum=1), 60),
    "desk_lookups": (env_int("VOUCHER_CASHIER_LOOKUPS_PER_MINUTE", 30, minimum=1), 60),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
