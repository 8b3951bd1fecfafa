"""All settings of 행복-맵 in one place, read from the environment (prefix HAPPYMAP_) or .env."""
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import make_url

LOCAL_DB_PORT = 55432
LOCAL_APP_ROLE = "happymap_app"
# The generated passwords of `make run`'s database (libpq passfile, mode 0600, git-ignored).
LOCAL_DB_PASSFILE = Path(__file__).resolve().parent.parent / ".var" / "local-db.pgpass"
# Keys that only ever belong on a developer's machine: production refuses to start with them.
LOCAL_KAKAO_KEY = "local-kakao-key"
LOCAL_OPEN311_KEY = "local-open311-key"


class Settings(BaseSettings):
    """Runtime configuration; tests build their own instance and override `get_settings`."""

    model_config = SettingsConfigDict(env_prefix="HAPPYMAP_", env_file=".env", extra="ignore")

    environment: str = "local"  # local | test | production
    # The app connects with a least-privilege role; migrations use the owner/superuser URL.
    database_url: str = Field(
        default=f"postgresql+psycopg://{LOCAL_APP_ROLE}@127.0.0.1:{LOCAL_DB_PORT}/happymap?passfile={LOCAL_DB_PASSFILE}",
        validation_alias="DATABASE_URL",
    )
    migration_database_url: str | None = Field(default=None, validation_alias="MIGRATION_DATABASE_URL")
    app_db_role: str = LOCAL_APP_ROLE

    deployment_district_codes: list[str] = ["11410"]
    timezone: str = "Asia/Seoul"

    token_idle_minutes: int = 30
    token_absolute_hours: int = 12
    login_max_failures: int = 5
    login_lock_minutes: int = 15

    visit_cycle_days_high: int = 30
    visit_cycle_days_medium: int = 90
    visit_cycle_days_low: int = 180
    # Data-quality checks: a report still untriaged after this many days, a facility whose referral capacity
    # no one has confirmed for this many days.
    report_waiting_days: int = 14
    referral_confirm_days: int = 90

    # Korean font embedded in printouts (Debian fonts-nanum); the bold face falls back to the regular one.
    print_font_path: str = "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"
    print_font_bold_path: str = "/usr/share/fonts/truetype/nanum/NanumGothicBold.ttf"

    tile_url: str | None = None  # a base-map tile URL template; off by default (offline map)
    tile_attribution: str = ""

    kakao_skill_key: str = LOCAL_KAKAO_KEY
    open311_api_keys: list[str] = [LOCAL_OPEN311_KEY]
    upload_dir: str = ".var/uploads"
    max_body_bytes: int = 5 * 1024 * 1024
    # Imported lists: larger than other uploads (a district's list), still bounded (zip bombs, runaway files).
    import_max_bytes: int = 20 * 1024 * 1024
    import_max_rows: int = 100_000
    discovery_due_days: int = 14  # 발굴 list: the 조사 is due this many days after the import
    # uvicorn processes `make run` starts; limits and sessions live in PostgreSQL, so any number agree.
    web_workers: int = Field(default=2, ge=1, le=64)
    trusted_proxy_header: str | None = None  # e.g. "X-Forwarded-For" when behind a known proxy

    rrn_key_b64: str | None = None  # AES-256-GCM key for 주민등록번호; never stored in the repository
    rrn_hash_key_b64: str | None = None

    demo_password: str | None = None

    def unsafe_for_production(self) -> list[str]:
        """What keeps these settings from serving real households: each entry names the variable to set."""
        problems = []
        if self.kakao_skill_key == LOCAL_KAKAO_KEY:
            problems.append("HAPPYMAP_KAKAO_SKILL_KEY: 로컬 기본값입니다. 카카오 스킬에 정한 비밀 키를 넣으세요.")
        if LOCAL_OPEN311_KEY in self.open311_api_keys:
            problems.append("HAPPYMAP_OPEN311_API_KEYS: 로컬 기본 키가 들어 있습니다. 협력기관별 키로 바꾸세요.")
        if not self.rrn_key_b64 or not self.rrn_hash_key_b64:
            problems.append("HAPPYMAP_RRN_KEY_B64 / HAPPYMAP_RRN_HASH_KEY_B64: 주민등록번호 암호화 키가 없습니다.")
        if self.demo_password:
            problems.append("HAPPYMAP_DEMO_PASSWORD: 데모 계정 비밀번호는 운영 환경에 둘 수 없습니다.")
        app_user = make_url(self.database_url).username
        owner = make_url(self.migration_database_url).username if self.migration_database_url else None
        if app_user != self.app_db_role or app_user == owner:
            problems.append(f"DATABASE_URL: 앱 전용 역할({self.app_db_role})로 접속해야 합니다 "
                            f"(지금: {app_user}). 소유자 계정은 MIGRATION_DATABASE_URL에만 쓰세요.")
        return problems

    @model_validator(mode="after")
    def _refuse_unsafe_production(self):
        if self.environment == "production" and (problems := self.unsafe_for_production()):
            raise ValueError("운영 환경(HAPPYMAP_ENVIRONMENT=production)에서 시작할 수 없습니다:\n- "
                             + "\n- ".join(problems))
        return self

    @property
    def migration_url(self) -> str:
        """URL Alembic uses: the owner's when given, else the app's."""
        return self.migration_database_url or self.database_url

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def now(self) -> datetime:
        """Current time in the deployment's zone (tests patch `clock`)."""
        return clock.now(self.tz)

    def today(self) -> date:
        return self.now().date()


class Clock:
    """Wall clock that tests can freeze."""

    frozen: datetime | None = None

    def now(self, tz: ZoneInfo) -> datetime:
        if self.frozen is not None:
            return self.frozen.astimezone(tz)
        return datetime.now(tz)


clock = Clock()


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests call `get_settings.cache_clear()` after changing the environment."""
    return Settings()
