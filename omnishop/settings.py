"""Omnishop settings: everything that differs between machines comes from the environment.

OMNISHOP_MODE selects the mode: ``dev`` (default, SQLite, file email; DEBUG only with DEBUG=1),
``test`` (set by the test runner) or ``production`` (passes ``manage.py check --deploy``).
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("OMNISHOP_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Under pytest the mode is "test" unless stated otherwise (pytest-django imports these
# settings before any conftest could set the variable).
MODE = os.environ.get("OMNISHOP_MODE") or ("test" if "pytest" in sys.modules else "dev")
PRODUCTION = MODE == "production"
# Django's technical (English) error pages only when asked for: DEBUG=1. Everyone else, the
# embedded setup included, sees the shop's own 404/500 pages.
DEBUG = env_bool("DEBUG", False)

if PRODUCTION:
    SECRET_KEY = os.environ["SECRET_KEY"]  # no fallback: production refuses to start without one
else:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-change-me-" + "x" * 32)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_q",
    "axes",
    "kernel",  # label "omnishop": users, roles, locations, channels (imports no domain app)
    "brandkit",
    "inventory",
    "customers",
    "orders",
    "campaigns",
    "omnishop.apps.ShellConfig",  # the shell: root URLs, the demo (imported by nothing)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kernel.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "kernel.browser.BrowserIdMiddleware",  # sets the signed browser-id cookie when a view issued one
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Before any view: a NUL in the path, query or a form is a 400 here, not a database error.
    "kernel.middleware.RejectNulMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the 429 page (kernel.lockout)
]

ROOT_URLCONF = "omnishop.urls"
WSGI_APPLICATION = "omnishop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "omnishop.context_processors.shell",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------
# SQLite is the embedded default: WAL, IMMEDIATE transactions (writers queue instead of
# failing with "database is locked") and a busy timeout. PostgreSQL via DATABASE_URL.
# A ``DATABASE_URL=sqlite:///...`` gets the same SQLite options (options the URL sets win).
SQLITE_PATH = VAR_DIR / "omnishop.sqlite3"
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
}
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": SQLITE_PATH}}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME") or None}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "omnishop.User"
# Axes first: a locked-out login is refused before any password is hashed (kernel.lockout).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "storefront:login"
LOGIN_REDIRECT_URL = "storefront:account"
LOGOUT_REDIRECT_URL = "storefront:home"

# --- Failed-login throttling (django-axes, wired in kernel.lockout) ---------------------
# AXES_FAILURE_LIMIT failed logins within AXES_COOLOFF_MINUTES, for one account or from one
# client address, lock that account or address until the cool-off has passed since the
# failure that locked it. Attempts during a lockout are not counted (they cannot prolong it);
# a successful login clears that account's failures. There is no permanent lockout.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=max(1, int(os.environ.get("AXES_COOLOFF_MINUTES", "15"))))
AXES_LOCKOUT_PARAMETERS = [["username"], ["ip_address"]]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # successful logins are not logged: not needed to throttle
AXES_USERNAME_CALLABLE = "kernel.lockout.login_username"
AXES_CLIENT_IP_CALLABLE = "kernel.throttling.client_address"  # honours TRUSTED_PROXY_COUNT
AXES_LOCKOUT_CALLABLE = "kernel.lockout.lockout_response"
AXES_HANDLER = "kernel.lockout.LoginAttemptHandler"

# --- Cache ------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "omnishop"}}

# --- Task queue (django-q2) -------------------------------------------------------------
Q_CLUSTER = {
    "name": "omnishop",
    "workers": int(os.environ.get("Q_WORKERS", "2")),
    "timeout": 300,
    "retry": 360,  # must exceed timeout
    "max_attempts": 5,
    "catch_up": False,
    "label": "Tasks",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
if MODE == "test":
    Q_CLUSTER["sync"] = True  # tests run tasks inline; the worker path is tested separately
    # Hashing strength is irrelevant in tests and dominates fixture time.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# --- i18n -------------------------------------------------------------------------------
LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "ja")
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Tokyo")
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static", ("fonts", VAR_DIR / "fonts")]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Outside production whitenoise serves straight from the app and font folders (no collectstatic)
# and notices new files (fonts_install), whether DEBUG is on or not.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Email ------------------------------------------------------------------------------
# Django 6.1 MAILERS. Dev writes messages to var/mail/; production speaks SMTP.
EMAIL_MODE = os.environ.get("EMAIL_MODE", "smtp" if PRODUCTION else "file")
if EMAIL_MODE == "smtp":
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ.get("EMAIL_HOST", "localhost"),
                "port": int(os.environ.get("EMAIL_PORT", "25")),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", False),
                "timeout": 15,
            },
        }
    }
elif EMAIL_MODE == "console":
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(VAR_DIR / "mail")},
        }
    }
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Omnishop <shop@example.jp>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security -----------------------------------------------------------------------------
# Secure cookies stay on everywhere: browsers accept them on http://localhost.
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
SESSION_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# --- REST API -------------------------------------------------------------------------------
# Reverse proxies in front of Django that append the caller to X-Forwarded-For. 0 (the embedded
# setup, no proxy): the connection's address is the caller and X-Forwarded-For is ignored, as
# any client can write it. Behind one proxy (nginx, a load balancer) set 1. The API throttles
# and the login lockout use it (kernel.throttling.client_address, DRF's NUM_PROXIES).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "kernel.api.exception_handler",
    # kernel.parsers.JSONParser: refuses NUL characters and nesting deeper than 32 levels (400).
    "DEFAULT_PARSER_CLASSES": [
        "kernel.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_VERSIONING_CLASS": None,
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Omnishop API",
    "DESCRIPTION": "One API for stock, customers and orders across every channel.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per choice set that several serializers share (spectacular warns otherwise).
    "ENUM_NAME_OVERRIDES": {"BrandChannelEnum": "brandkit.models.Channel",
                            "ConsentChannelEnum": "customers.models.ConsentChannel",
                            "ConsentPurposeEnum": "customers.models.ConsentPurpose",
                            "ConsentSourceEnum": "customers.models.ConsentSource",
                            "StaffConsentSourceEnum": "customers.consent.STAFF_SOURCE_CHOICES",
                            "IdentityKindEnum": "customers.models.IdentityKind",
                            "OfferKindEnum": "campaigns.models_offers.OfferKind",
                            "ABVariantLabelEnum": "campaigns.models_abtest.VARIANT_LABELS",
                            "OfferCodeKindEnum": "campaigns.models_offers.CodeKind",
                            "SegmentKindEnum": "customers.models.SegmentKind",
                            "MessageChannelEnum": "campaigns.models.MessageChannel",
                            "CampaignStatusEnum": "campaigns.models.CampaignStatus",
                            "ReturnMethodEnum": "orders.models.ReturnMethod",
                            "TenderKindEnum": "orders.models.TenderKind",
                            "RefundMethodEnum": "orders.models.RefundMethod",
                            "FulfillmentMethodEnum": "orders.models.FulfillmentMethod",
                            "CounterTenderEnum": "orders.models.COUNTER_TENDER_CHOICES",
                            # email / SMS / LINE: an A/B variant's channel, a back-in-stock notice's
                            "SendingChannelEnum": "campaigns.models_backinstock.BackInStockChannel"},
}

# --- Omnishop ------------------------------------------------------------------------------
# The seller's qualified invoice issuer registration number (適格請求書発行事業者登録番号).
INVOICE_REGISTRATION_NUMBER = os.environ.get("INVOICE_REGISTRATION_NUMBER", "T1234567890123")
# The seller's registered name on receipts; unset, the brand kit's company name is used
# (orders.selectors.invoice_seller_name). Production warns until it is set (kernel.checks).
INVOICE_SELLER_NAME = os.environ.get("INVOICE_SELLER_NAME", "").strip()
CURRENCY = "JPY"
# The public address for absolute links in emails (kernel.site.absolute_url); the embedded
# default follows PORT, the port `./dev up` serves on.
SITE_URL = os.environ.get("SITE_URL") or "http://localhost:{}".format(os.environ.get("PORT") or "8000")
PICKUP_HOLD_DAYS = int(os.environ.get("PICKUP_HOLD_DAYS", "7"))
# Days after delivery or purchase within which an item may be returned, unless its product sets
# its own window (inventory.Product.return_days; orders.returns).
RETURN_WINDOW_DAYS = int(os.environ.get("RETURN_WINDOW_DAYS", "30"))
# A guest cart (a browser's, before signing in) untouched this many days is deleted by the daily
# job orders.tasks.carts_expire; a signed-in customer's cart is kept.
CART_GUEST_DAYS = int(os.environ.get("CART_GUEST_DAYS", "30"))
# The most different items one cart holds (orders.cart; a customer merge keeps within it too).
CART_MAX_LINES = 100
# Home delivery (fulfilment method "ship"): the fee in yen, tax included at the standard rate, and
# the order amount from which it is free (orders.shipping). A pickup at a store is always free.
SHIPPING_FEE_YEN = int(os.environ.get("SHIPPING_FEE_YEN", "550"))
SHIPPING_FREE_OVER_YEN = int(os.environ.get("SHIPPING_FREE_OVER_YEN", "5000"))
# Consent (customers/consent.py): how long an email double opt-in link and an unsubscribe link
# work; an optional mailto for List-Unsubscribe (only if your mail system processes those mails).
CONSENT_CONFIRMATION_HOURS = int(os.environ.get("CONSENT_CONFIRMATION_HOURS", "72"))
CONSENT_UNSUBSCRIBE_DAYS = int(os.environ.get("CONSENT_UNSUBSCRIBE_DAYS", "365"))
CONSENT_UNSUBSCRIBE_MAILTO = os.environ.get("CONSENT_UNSUBSCRIBE_MAILTO", "")
# Campaign SMS and LINE (campaigns.providers_http): configured only when their variables are set
# (email always goes through EMAIL_BACKEND). Delivery receipts come to /webhooks/receipts/<name>/
# signed with CAMPAIGN_WEBHOOK_SECRET_<NAME> (campaigns.receipts); older than the tolerance: refused.
CAMPAIGN_PROVIDERS = {}
if os.environ.get("SMS_PROVIDER_URL"):
    CAMPAIGN_PROVIDERS["sms"] = {
        "class": "campaigns.providers_http.HttpSmsProvider", "url": os.environ["SMS_PROVIDER_URL"],
        "token": os.environ.get("SMS_PROVIDER_TOKEN", ""), "sender": os.environ.get("SMS_SENDER", ""),
        "rate_per_second": float(os.environ.get("SMS_RATE_PER_SECOND", "10")),
        "timeout": float(os.environ.get("SMS_TIMEOUT_SECONDS", "10"))}
if os.environ.get("LINE_CHANNEL_ACCESS_TOKEN"):
    CAMPAIGN_PROVIDERS["line"] = {
        "class": "campaigns.providers_http.LineProvider",
        "url": os.environ.get("LINE_API_URL", "https://api.line.me"),
        "token": os.environ["LINE_CHANNEL_ACCESS_TOKEN"],
        "rate_per_second": float(os.environ.get("LINE_RATE_PER_SECOND", "100")),
        "timeout": float(os.environ.get("LINE_TIMEOUT_SECONDS", "10"))}
if MODE == "dev" and EMAIL_MODE == "file":  # development: SMS and LINE messages kept in var/sms/ like the mail in var/mail/
    for _channel in ("sms", "line"):
        CAMPAIGN_PROVIDERS.setdefault(_channel, {"class": "campaigns.providers.FileTextProvider",
                                                 "file_path": str(VAR_DIR / "sms")})
CAMPAIGN_WEBHOOK_SECRETS = {name.removeprefix("CAMPAIGN_WEBHOOK_SECRET_").lower(): value
                            for name, value in os.environ.items()
                            if name.startswith("CAMPAIGN_WEBHOOK_SECRET_") and value}
CAMPAIGN_RECEIPT_TOLERANCE_SECONDS = int(os.environ.get("CAMPAIGN_RECEIPT_TOLERANCE_SECONDS", "300"))
# Emails a campaign batch sends at once within one worker (campaigns.sending, like listmonk's
# "concurrency"): each lane a thread with its own database and SMTP connection, so one waits on
# the relay or the database while another renders. 1 under the tests (a thread cannot see a test's
# own transaction; the tests that need lanes say so). SMS and LINE keep one lane (their rate limit);
# SQLite always one (it writes one transaction at a time).
CAMPAIGN_SEND_CONCURRENCY = max(1, int(os.environ.get("CAMPAIGN_SEND_CONCURRENCY", "1" if MODE == "test" else "3")))
# First-party events (customers.tracking): an anonymous browser's events and banner decision (no
# customer, no identity) are deleted after this many days by the daily job
# customers.anonymous_events_expire; POST /api/v1/events/ takes at most EVENTS_MAX_BATCH events.
ANONYMOUS_EVENT_RETENTION_DAYS = int(os.environ.get("ANONYMOUS_EVENT_RETENTION_DAYS", "90"))
EVENTS_MAX_BATCH = int(os.environ.get("EVENTS_MAX_BATCH", "500"))
# The highest price (yen, tax included) a variant may have: a typo or a bad import must not put
# ¥1,000,000,000,000,000 on the storefront. Ten million yen leaves room for furniture, jewellery
# and kimono, and 99 units of it (the per-line maximum) still fit an order line's integer column.
MAX_PRICE = int(os.environ.get("OMNISHOP_MAX_PRICE", "10000000"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO" if not DEBUG else "INFO")},
    # axes: failures and lockouts are warnings; its per-attempt housekeeping notes are not kept.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
