"""The controller's schema as sqlite-utils migrations: add a new function, never edit an applied one."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("kepu-controller")

# Dwell-time histogram bucket lower bounds in seconds: medians and p90s come from these
# counts, so reports never read raw events. The last bucket is open-ended.
DWELL_BUCKETS = (0, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 300, 450, 600, 900, 1200, 1800)
DWELL_COLUMNS = tuple(f"dwell_{i}" for i in range(len(DWELL_BUCKETS)))

ROLLUP_COUNTERS = (
    "sessions",
    "ended",
    "meaningful",
    "interactions",
    "dwell_sum",
    "rating_up",
    "rating_down",
    "completions",
    "footfall",
    "online_minutes",
    "online_open_minutes",
    "events",
    *DWELL_COLUMNS,
)


@migrations()
def m001_initial(db: Database) -> None:
    """Fleet, places, plans, content, people, ingest and rollups."""
    db.executescript(
        """
        CREATE TABLE exhibits (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL DEFAULT '',
            region TEXT NOT NULL DEFAULT '',
            enrolled INTEGER NOT NULL DEFAULT 0,
            mqtt_user TEXT,
            first_seen REAL,
            last_seen REAL,
            online INTEGER NOT NULL DEFAULT 0,
            online_since REAL,
            state TEXT NOT NULL DEFAULT '{}',
            health TEXT NOT NULL DEFAULT '{}',
            reported TEXT NOT NULL DEFAULT '{}',
            pack_id TEXT,
            pack_version TEXT,
            desired TEXT,
            desired_sha TEXT,
            created REAL NOT NULL
        );
        CREATE TABLE venues (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            region TEXT NOT NULL,
            opening_hours TEXT NOT NULL,
            default_pack_id TEXT,
            default_pack_version TEXT,
            created REAL NOT NULL
        );
        CREATE INDEX venues_region ON venues(region);
        CREATE TABLE rotations (
            id INTEGER PRIMARY KEY,
            exhibit TEXT NOT NULL REFERENCES exhibits(id),
            venue TEXT NOT NULL REFERENCES venues(id),
            starts REAL NOT NULL,
            ends REAL NOT NULL,
            pack_id TEXT,
            pack_version TEXT,
            note TEXT NOT NULL DEFAULT '',
            CHECK (ends > starts)
        );
        CREATE INDEX rotations_exhibit ON rotations(exhibit, starts);
        CREATE TABLE packs (
            id TEXT NOT NULL,
            version TEXT NOT NULL,
            title_zh TEXT NOT NULL DEFAULT '',
            title_en TEXT NOT NULL DEFAULT '',
            topic TEXT NOT NULL DEFAULT '',
            manifest_sha256 TEXT NOT NULL,
            manifest BLOB NOT NULL,
            signature BLOB NOT NULL,
            signer TEXT,
            size INTEGER NOT NULL DEFAULT 0,
            goal_scene TEXT,
            status TEXT NOT NULL DEFAULT 'draft',
            uploaded_by TEXT NOT NULL DEFAULT '',
            uploaded_at REAL NOT NULL,
            PRIMARY KEY (id, version)
        );
        CREATE TABLE campaigns (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            region TEXT NOT NULL,
            pack_id TEXT NOT NULL,
            pack_version TEXT NOT NULL,
            starts REAL NOT NULL,
            ends REAL NOT NULL,
            priority INTEGER NOT NULL DEFAULT 0,
            created_by TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE emergencies (
            id INTEGER PRIMARY KEY,
            region TEXT NOT NULL,
            message_zh TEXT NOT NULL DEFAULT '',
            message_en TEXT NOT NULL DEFAULT '',
            pack_id TEXT,
            pack_version TEXT,
            starts REAL NOT NULL,
            expires REAL NOT NULL,
            cancelled REAL,
            created_by TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE users (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL DEFAULT '',
            role TEXT NOT NULL,
            region TEXT NOT NULL DEFAULT '',
            created REAL NOT NULL
        );
        CREATE TABLE tokens (
            hash TEXT PRIMARY KEY,
            user TEXT,
            exhibit TEXT,
            label TEXT NOT NULL DEFAULT '',
            created REAL NOT NULL,
            revoked REAL
        );
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            ts REAL NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}'
        );
        CREATE TABLE events (
            id TEXT PRIMARY KEY,
            exhibit TEXT NOT NULL,
            seq INTEGER NOT NULL,
            ts REAL NOT NULL,
            type TEXT NOT NULL,
            session TEXT,
            scene TEXT,
            data TEXT NOT NULL DEFAULT '{}',
            venue TEXT NOT NULL DEFAULT '',
            in_transit INTEGER NOT NULL DEFAULT 0,
            pack TEXT NOT NULL DEFAULT '',
            boot TEXT NOT NULL DEFAULT '',
            synced INTEGER NOT NULL DEFAULT 1,
            received REAL NOT NULL
        );
        CREATE INDEX events_exhibit_ts ON events(exhibit, ts);
        CREATE TABLE visits (
            session TEXT PRIMARY KEY,
            exhibit TEXT NOT NULL,
            venue TEXT NOT NULL DEFAULT '',
            pack TEXT NOT NULL DEFAULT '',
            started REAL,
            ended REAL,
            duration REAL,
            interactions INTEGER,
            completed INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX visits_exhibit ON visits(exhibit);
        CREATE TABLE quarantine (
            id INTEGER PRIMARY KEY,
            received REAL NOT NULL,
            topic TEXT NOT NULL,
            reason TEXT NOT NULL,
            payload TEXT NOT NULL
        );
        CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE commands (
            id TEXT PRIMARY KEY,
            exhibit TEXT NOT NULL,
            type TEXT NOT NULL,
            payload TEXT NOT NULL DEFAULT '{}',
            created REAL NOT NULL,
            created_by TEXT NOT NULL DEFAULT '',
            result TEXT,
            answered REAL
        );
        CREATE TABLE rollup_quiz (
            day TEXT NOT NULL,
            month TEXT NOT NULL,
            exhibit TEXT NOT NULL,
            venue TEXT NOT NULL,
            pack TEXT NOT NULL,
            question TEXT NOT NULL,
            choice TEXT NOT NULL,
            correct INTEGER NOT NULL,
            answers INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (day, exhibit, venue, pack, question, choice)
        );
        CREATE INDEX rollup_quiz_month ON rollup_quiz(month, venue);
        """
    )
    counters = ",\n".join(f"{name} INTEGER NOT NULL DEFAULT 0" for name in ROLLUP_COUNTERS)
    db.executescript(
        f"""
        CREATE TABLE rollup_hourly (
            hour TEXT NOT NULL,
            day TEXT NOT NULL,
            month TEXT NOT NULL,
            exhibit TEXT NOT NULL,
            venue TEXT NOT NULL,
            pack TEXT NOT NULL,
            {counters},
            PRIMARY KEY (hour, exhibit, venue, pack)
        );
        CREATE INDEX rollup_hourly_month ON rollup_hourly(month, venue);
        CREATE INDEX rollup_hourly_day ON rollup_hourly(day, venue);
        CREATE INDEX rollup_hourly_exhibit ON rollup_hourly(exhibit, hour);
        """
    )


@migrations()
def m002_owner_regions(db: Database) -> None:
    """Packs and audit entries carry a region, so scoped users see only their subtree's."""
    db.executescript(
        """
        ALTER TABLE packs ADD COLUMN region TEXT NOT NULL DEFAULT '';
        ALTER TABLE audit ADD COLUMN region TEXT NOT NULL DEFAULT '';
        CREATE INDEX audit_ts ON audit(ts);
        """
    )


@migrations()
def m003_reattribution(db: Database) -> None:
    """Online spans and completion instants, so rollups can be rebuilt from raw data when an itinerary changes."""
    db.executescript(
        """
        CREATE TABLE online_spans (
            id INTEGER PRIMARY KEY,
            exhibit TEXT NOT NULL,
            starts REAL NOT NULL,
            ends REAL NOT NULL,
            pack TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX online_spans_exhibit ON online_spans(exhibit, ends);
        ALTER TABLE visits ADD COLUMN completed_at REAL;
        CREATE INDEX visits_exhibit_started ON visits(exhibit, started);
        """
    )
    # Completions ingested before this migration: the first goal scene of the session marks the instant.
    db.execute(
        """
        UPDATE visits SET completed_at = (
            SELECT MIN(e.ts) FROM events e JOIN packs p ON p.id = e.pack AND p.goal_scene = e.scene
            WHERE e.exhibit = visits.exhibit AND e.session = visits.session AND e.type = 'scene_enter'
              AND e.ts >= COALESCE(visits.started, 0) AND e.ts <= COALESCE(visits.ended, visits.started + 86400, 1e12)
        ) WHERE completed = 1
        """
    )


@migrations()
def m004_health_samples(db: Database) -> None:
    """Health over time, thinned to one sample per exhibit per 5 minutes (controller/domain/health_history.py)."""
    db.executescript(
        """
        CREATE TABLE health_samples (
            id INTEGER PRIMARY KEY,
            exhibit TEXT NOT NULL,
            ts REAL NOT NULL,
            cpu_temp REAL,
            disk_free REAL,
            fps REAL,
            kiosk_fps REAL,
            kiosk_alive INTEGER,
            undervoltage INTEGER,
            screen_on INTEGER,
            uptime REAL,
            backlog REAL
        );
        CREATE INDEX health_samples_exhibit_ts ON health_samples(exhibit, ts);
        """
    )


@migrations()
def m005_pack_questions(db: Database) -> None:
    """Each pack's quiz wording, so item analysis can say what was asked and which answer misled."""
    db.execute("ALTER TABLE packs ADD COLUMN questions TEXT")


@migrations()
def m006_hardening(db: Database) -> None:
    """Issue 11: server-side dashboard sessions (the cookie holds a random secret, stored hashed, never the API
    token) and each exhibit's install results per pack version (so a refused version is not planned again)."""
    db.executescript(
        """
        CREATE TABLE sessions (
            hash TEXT PRIMARY KEY,
            token_hash TEXT NOT NULL,
            created REAL NOT NULL,
            expires REAL NOT NULL,
            revoked REAL
        );
        CREATE INDEX sessions_token ON sessions(token_hash);
        CREATE TABLE install_results (
            exhibit TEXT NOT NULL,
            pack_id TEXT NOT NULL,
            pack_version TEXT NOT NULL,
            result TEXT NOT NULL,
            reason TEXT,
            at TEXT,
            received REAL NOT NULL,
            stay INTEGER,
            stay_plan INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (exhibit, pack_id, pack_version)
        );
        """
    )


@migrations()
def m007_alerts_tickets(db: Database) -> None:
    """Alerts with their damping state, per-region rule thresholds, subscriptions and their deliveries,
    maintenance tickets, and the history of both (controller/domain/alerts.py, notify.py, tickets.py)."""
    db.executescript(
        """
        CREATE TABLE alert_rules (
            rule TEXT NOT NULL,
            region TEXT NOT NULL DEFAULT '',
            after_seconds REAL,
            hold_seconds REAL,
            threshold REAL,
            enabled INTEGER,
            updated REAL NOT NULL,
            updated_by TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (rule, region)
        );
        CREATE TABLE alert_conditions (
            rule TEXT NOT NULL,
            exhibit TEXT NOT NULL,
            since REAL NOT NULL,
            cleared_since REAL,
            alert INTEGER,
            PRIMARY KEY (rule, exhibit)
        );
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            rule TEXT NOT NULL,
            exhibit TEXT NOT NULL,
            region TEXT NOT NULL DEFAULT '',
            owner_region TEXT NOT NULL DEFAULT '',
            venue TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL DEFAULT 'open',
            detail TEXT NOT NULL DEFAULT '{}',
            since REAL NOT NULL,
            opened REAL NOT NULL,
            acknowledged REAL,
            acknowledged_by TEXT,
            resolved REAL
        );
        CREATE INDEX alerts_state ON alerts(state, opened);
        CREATE INDEX alerts_exhibit ON alerts(exhibit, opened);
        CREATE TABLE alert_history (
            id INTEGER PRIMARY KEY,
            alert INTEGER NOT NULL REFERENCES alerts(id),
            ts REAL NOT NULL,
            actor TEXT NOT NULL DEFAULT '',
            action TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX alert_history_alert ON alert_history(alert, ts);
        CREATE TABLE subscriptions (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL,
            label TEXT NOT NULL DEFAULT '',
            region TEXT NOT NULL DEFAULT '',
            rules TEXT NOT NULL DEFAULT '[]',
            quiet_start TEXT,
            quiet_end TEXT,
            created REAL NOT NULL,
            created_by TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            subscription INTEGER NOT NULL,
            alert INTEGER,
            kind TEXT NOT NULL,
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            created REAL NOT NULL,
            not_before REAL NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL DEFAULT 'pending',
            sent REAL,
            error TEXT
        );
        CREATE INDEX deliveries_pending ON deliveries(state, not_before);
        CREATE TABLE tickets (
            id INTEGER PRIMARY KEY,
            exhibit TEXT NOT NULL,
            alert INTEGER,
            title TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'open',
            assignee TEXT NOT NULL DEFAULT '',
            notes TEXT NOT NULL DEFAULT '',
            region TEXT NOT NULL DEFAULT '',
            owner_region TEXT NOT NULL DEFAULT '',
            photo TEXT,
            photo_type TEXT,
            created REAL NOT NULL,
            created_by TEXT NOT NULL DEFAULT '',
            updated REAL NOT NULL,
            fixed REAL,
            closed REAL
        );
        CREATE INDEX tickets_exhibit ON tickets(exhibit, created);
        CREATE TABLE ticket_history (
            id INTEGER PRIMARY KEY,
            ticket INTEGER NOT NULL REFERENCES tickets(id),
            ts REAL NOT NULL,
            actor TEXT NOT NULL DEFAULT '',
            action TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX ticket_history_ticket ON ticket_history(ticket, ts);
        """
    )


@migrations()
def m008_power_schedule(db: Database) -> None:
    """Closed days and power margins per venue; the display state per exhibit and per online span (开机率)."""
    db.executescript(
        """
        ALTER TABLE venues ADD COLUMN closed_days TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE venues ADD COLUMN power_on_before INTEGER NOT NULL DEFAULT 10;
        ALTER TABLE venues ADD COLUMN power_off_after INTEGER NOT NULL DEFAULT 10;
        ALTER TABLE venues ADD COLUMN wake_on_touch INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE exhibits ADD COLUMN lit INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE online_spans ADD COLUMN lit INTEGER NOT NULL DEFAULT 1;
        CREATE TABLE sneakernet_imports (
            id TEXT PRIMARY KEY,
            exhibit TEXT NOT NULL,
            imported REAL NOT NULL,
            events INTEGER NOT NULL DEFAULT 0,
            stored INTEGER NOT NULL DEFAULT 0,
            duplicates INTEGER NOT NULL DEFAULT 0
        );
        """
    )


@migrations()
def m009_proof_of_play(db: Database) -> None:
    """Proof of play: plays, completed plays and seconds shown, by item × exhibit × venue × pack × hour."""
    db.executescript(
        """
        CREATE TABLE rollup_media (
            hour TEXT NOT NULL,
            day TEXT NOT NULL,
            month TEXT NOT NULL,
            exhibit TEXT NOT NULL,
            venue TEXT NOT NULL,
            pack TEXT NOT NULL,
            item TEXT NOT NULL,
            kind TEXT NOT NULL,
            source TEXT NOT NULL,
            plays INTEGER NOT NULL DEFAULT 0,
            completed INTEGER NOT NULL DEFAULT 0,
            seconds REAL NOT NULL DEFAULT 0,
            PRIMARY KEY (hour, exhibit, venue, pack, item, source)
        );
        CREATE INDEX rollup_media_month ON rollup_media(month, venue);
        CREATE INDEX rollup_media_exhibit ON rollup_media(exhibit, hour);
        """
    )


@migrations()
def m010_audio(db: Database) -> None:
    """Volume and quiet hours (issue 10): per venue (the default there) and per exhibit (its own, overriding)."""
    db.executescript(
        """
        CREATE TABLE audio_settings (
            scope TEXT NOT NULL CHECK (scope IN ('venue', 'exhibit')),
            target TEXT NOT NULL,
            volume INTEGER NOT NULL,
            quiet TEXT NOT NULL DEFAULT '[]',
            quiet_volume INTEGER NOT NULL DEFAULT 0,
            updated REAL NOT NULL,
            updated_by TEXT NOT NULL,
            PRIMARY KEY (scope, target)
        );
        """
    )


HEX = "0123456789ABCDEF"
USED_DIGITS = 31 * 24 // 4  # hex digits of a month's used hours


def _summary_triggers() -> str:
    """Triggers that keep the rollup summaries in step with `rollup_hourly`, whoever writes it.

    `rollup_monthly` (month × exhibit × venue × pack) and `rollup_venue_daily` (day × venue × pack)
    hold the same counters summed, plus `rows`: how many hourly rows they sum (0 rows: gone);
    `rollup_venue_monthly` (month × venue × pack) likewise; `rollup_venue_hourly` (hour × venue) just
    sessions and footfall, for the weekday × hour heatmap and an exhibit's passers-by.
    `rollup_used_monthly` holds, per exhibit × venue × month, which local hours had a session, for
    使用率 without reading every hour: bit (day - 1) * 24 + hour of a 744-bit number written as 186 hex
    digits, least significant first (Python: `int(used[::-1], 16)`).
    """
    cols = ", ".join(ROLLUP_COUNTERS)
    new = ", ".join(f"NEW.{c}" for c in ROLLUP_COUNTERS)
    add = ", ".join(f"{c} = {c} + excluded.{c}" for c in ROLLUP_COUNTERS)
    sub = ", ".join(f"{c} = {c} - OLD.{c}" for c in ROLLUP_COUNTERS)
    step = ", ".join(f"{c} = {c} + NEW.{c} - OLD.{c}" for c in ROLLUP_COUNTERS)
    same = "NEW.hour = OLD.hour AND NEW.exhibit = OLD.exhibit AND NEW.venue = OLD.venue AND NEW.pack = OLD.pack"
    monthly_key = "month = {r}.month AND exhibit = {r}.exhibit AND venue = {r}.venue AND pack = {r}.pack"
    daily_key = "day = {r}.day AND venue = {r}.venue AND pack = {r}.pack"
    hourly_key = "hour = {r}.hour AND venue = {r}.venue"
    venue_monthly_key = "month = {r}.month AND venue = {r}.venue AND pack = {r}.pack"

    def put(r: str) -> str:  # add row `r` (NEW) to both summaries
        return f"""
        INSERT INTO rollup_monthly (month, exhibit, venue, pack, rows, {cols})
            VALUES ({r}.month, {r}.exhibit, {r}.venue, {r}.pack, 1, {new})
            ON CONFLICT (month, exhibit, venue, pack) DO UPDATE SET rows = rows + 1, {add};
        INSERT INTO rollup_venue_daily (day, month, venue, pack, rows, {cols})
            VALUES ({r}.day, {r}.month, {r}.venue, {r}.pack, 1, {new})
            ON CONFLICT (day, venue, pack) DO UPDATE SET rows = rows + 1, {add};
        INSERT INTO rollup_venue_monthly (month, venue, pack, rows, {cols})
            VALUES ({r}.month, {r}.venue, {r}.pack, 1, {new})
            ON CONFLICT (month, venue, pack) DO UPDATE SET rows = rows + 1, {add};
        INSERT INTO rollup_venue_hourly (hour, day, venue, rows, sessions, footfall)
            VALUES ({r}.hour, {r}.day, {r}.venue, 1, {r}.sessions, {r}.footfall)
            ON CONFLICT (hour, venue) DO UPDATE SET rows = rows + 1, sessions = sessions + excluded.sessions,
            footfall = footfall + excluded.footfall;"""

    def take(r: str) -> str:  # take row `r` (OLD) out of both summaries
        return f"""
        UPDATE rollup_monthly SET rows = rows - 1, {sub} WHERE {monthly_key.format(r=r)};
        DELETE FROM rollup_monthly WHERE {monthly_key.format(r=r)} AND rows <= 0;
        UPDATE rollup_venue_daily SET rows = rows - 1, {sub} WHERE {daily_key.format(r=r)};
        DELETE FROM rollup_venue_daily WHERE {daily_key.format(r=r)} AND rows <= 0;
        UPDATE rollup_venue_monthly SET rows = rows - 1, {sub} WHERE {venue_monthly_key.format(r=r)};
        DELETE FROM rollup_venue_monthly WHERE {venue_monthly_key.format(r=r)} AND rows <= 0;
        UPDATE rollup_venue_hourly SET rows = rows - 1, sessions = sessions - {r}.sessions, footfall = footfall - {r}.footfall
            WHERE {hourly_key.format(r=r)};
        DELETE FROM rollup_venue_hourly WHERE {hourly_key.format(r=r)} AND rows <= 0;"""

    def used_bit(r: str) -> str:  # (re)compute the used-hour bit of row `r`'s hour from what is stored
        pos = f"((CAST(substr({r}.hour, 9, 2) AS INTEGER) - 1) * 24 + CAST(substr({r}.hour, 12, 2) AS INTEGER))"
        nibble = f"instr('{HEX}', substr(used, {pos} / 4 + 1, 1)) - 1"
        bit = (
            f"(EXISTS (SELECT 1 FROM rollup_hourly h WHERE h.exhibit = {r}.exhibit AND h.venue = {r}.venue"
            f" AND h.hour = {r}.hour AND h.sessions > 0) << ({pos} % 4))"
        )
        digit = f"substr('{HEX}', ((({nibble}) & ~(1 << ({pos} % 4))) | {bit}) + 1, 1)"
        return f"""
        INSERT INTO rollup_used_monthly (exhibit, venue, month, used)
            VALUES ({r}.exhibit, {r}.venue, {r}.month, substr(hex(zeroblob({USED_DIGITS})), 1, {USED_DIGITS}))
            ON CONFLICT (exhibit, venue, month) DO NOTHING;
        UPDATE rollup_used_monthly SET used = substr(used, 1, {pos} / 4) || {digit} || substr(used, {pos} / 4 + 2)
            WHERE exhibit = {r}.exhibit AND venue = {r}.venue AND month = {r}.month;"""

    used_changed = f"(OLD.sessions > 0) != (NEW.sessions > 0) OR NOT ({same})"
    return f"""
    CREATE TRIGGER rollup_summaries_insert AFTER INSERT ON rollup_hourly BEGIN {put("NEW")}
    END;
    CREATE TRIGGER rollup_summaries_step AFTER UPDATE ON rollup_hourly WHEN {same} BEGIN
        UPDATE rollup_monthly SET {step} WHERE {monthly_key.format(r="NEW")};
        UPDATE rollup_venue_daily SET {step} WHERE {daily_key.format(r="NEW")};
        UPDATE rollup_venue_monthly SET {step} WHERE {venue_monthly_key.format(r="NEW")};
        UPDATE rollup_venue_hourly SET sessions = sessions + NEW.sessions - OLD.sessions,
            footfall = footfall + NEW.footfall - OLD.footfall
            WHERE {hourly_key.format(r="NEW")} AND (NEW.sessions != OLD.sessions OR NEW.footfall != OLD.footfall);
    END;
    CREATE TRIGGER rollup_summaries_move AFTER UPDATE ON rollup_hourly WHEN NOT ({same}) BEGIN {take("OLD")} {put("NEW")}
    END;
    CREATE TRIGGER rollup_summaries_delete AFTER DELETE ON rollup_hourly BEGIN {take("OLD")}
    END;
    CREATE TRIGGER rollup_used_insert AFTER INSERT ON rollup_hourly WHEN NEW.sessions > 0 BEGIN {used_bit("NEW")}
    END;
    CREATE TRIGGER rollup_used_update AFTER UPDATE ON rollup_hourly WHEN {used_changed} BEGIN
        {used_bit("OLD")} {used_bit("NEW")}
    END;
    CREATE TRIGGER rollup_used_delete AFTER DELETE ON rollup_hourly WHEN OLD.sessions > 0 BEGIN {used_bit("OLD")}
    END;
    """


@migrations()
def m011_rollup_summaries(db: Database) -> None:
    """Summaries of the hourly rollups for pages that look at a province or a year (issue 15), kept by triggers.

    Filled from what is stored, then kept in step by the triggers (see `_summary_triggers`). A later
    migration that adds a rollup counter must recreate these triggers with it.
    """
    counters = ",\n".join(f"{name} INTEGER NOT NULL DEFAULT 0" for name in ROLLUP_COUNTERS)
    cols = ", ".join(ROLLUP_COUNTERS)
    sums = ", ".join(f"SUM({c})" for c in ROLLUP_COUNTERS)
    db.executescript(
        f"""
        CREATE TABLE rollup_monthly (
            month TEXT NOT NULL,
            exhibit TEXT NOT NULL,
            venue TEXT NOT NULL,
            pack TEXT NOT NULL,
            rows INTEGER NOT NULL DEFAULT 0,
            {counters},
            PRIMARY KEY (month, exhibit, venue, pack)
        );
        CREATE INDEX rollup_monthly_exhibit ON rollup_monthly(exhibit, month);
        CREATE TABLE rollup_venue_daily (
            day TEXT NOT NULL,
            month TEXT NOT NULL,
            venue TEXT NOT NULL,
            pack TEXT NOT NULL,
            rows INTEGER NOT NULL DEFAULT 0,
            {counters},
            PRIMARY KEY (day, venue, pack)
        );
        CREATE TABLE rollup_venue_hourly (
            hour TEXT NOT NULL,
            day TEXT NOT NULL,
            venue TEXT NOT NULL,
            rows INTEGER NOT NULL DEFAULT 0,
            sessions INTEGER NOT NULL DEFAULT 0,
            footfall INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (hour, venue)
        );
        CREATE INDEX rollup_venue_hourly_day ON rollup_venue_hourly(day);
        CREATE INDEX rollup_venue_hourly_venue ON rollup_venue_hourly(venue, hour);
        CREATE TABLE rollup_venue_monthly (
            month TEXT NOT NULL,
            venue TEXT NOT NULL,
            pack TEXT NOT NULL,
            rows INTEGER NOT NULL DEFAULT 0,
            {counters},
            PRIMARY KEY (month, venue, pack)
        );
        CREATE TABLE rollup_used_monthly (
            exhibit TEXT NOT NULL,
            venue TEXT NOT NULL,
            month TEXT NOT NULL,
            used TEXT NOT NULL,
            PRIMARY KEY (exhibit, venue, month)
        );
        CREATE INDEX rollup_used_monthly_month ON rollup_used_monthly(month);
        INSERT INTO rollup_monthly (month, exhibit, venue, pack, rows, {cols})
            SELECT month, exhibit, venue, pack, COUNT(*), {sums} FROM rollup_hourly GROUP BY month, exhibit, venue, pack;
        INSERT INTO rollup_venue_daily (day, month, venue, pack, rows, {cols})
            SELECT day, MIN(month), venue, pack, COUNT(*), {sums} FROM rollup_hourly GROUP BY day, venue, pack;
        INSERT INTO rollup_venue_hourly (hour, day, venue, rows, sessions, footfall)
            SELECT hour, MIN(day), venue, COUNT(*), SUM(sessions), SUM(footfall) FROM rollup_hourly GROUP BY hour, venue;
        INSERT INTO rollup_venue_monthly (month, venue, pack, rows, {cols})
            SELECT month, venue, pack, SUM(rows), {sums} FROM rollup_monthly GROUP BY month, venue, pack;
        """
    )
    used: dict[tuple[str, str, str], list[int]] = {}
    for exhibit, venue, month, hour in db.execute(
        "SELECT DISTINCT exhibit, venue, month, hour FROM rollup_hourly WHERE sessions > 0"
    ):
        digits = used.setdefault((exhibit, venue, month), [0] * USED_DIGITS)
        pos = (int(hour[8:10]) - 1) * 24 + int(hour[11:13])
        digits[pos // 4] |= 1 << (pos % 4)
    db.conn.executemany(
        "INSERT INTO rollup_used_monthly (exhibit, venue, month, used) VALUES (?, ?, ?, ?)",
        [(*key, "".join(HEX[d] for d in digits)) for key, digits in used.items()],
    )
    db.executescript(_summary_triggers())


@migrations()
def m012_compact_health_samples(db: Database) -> None:
    """Health samples keyed (exhibit, ts) WITHOUT ROWID: one b-tree instead of a table plus an index.

    ~90 → ~63 bytes a sample (docs/brokers.md "Capacity"); only the retained window (health_history.KEEP_DAYS,
    counted back from the newest sample) is carried over.
    """
    db.executescript(
        """
        CREATE TABLE health_samples_compact (
            exhibit TEXT NOT NULL,
            ts REAL NOT NULL,
            cpu_temp REAL,
            disk_free REAL,
            fps REAL,
            kiosk_fps REAL,
            kiosk_alive INTEGER,
            undervoltage INTEGER,
            screen_on INTEGER,
            uptime REAL,
            backlog REAL,
            PRIMARY KEY (exhibit, ts)
        ) WITHOUT ROWID;
        INSERT OR IGNORE INTO health_samples_compact
            SELECT exhibit, ts, cpu_temp, disk_free, fps, kiosk_fps, kiosk_alive, undervoltage, screen_on, uptime, backlog
              FROM health_samples
             WHERE ts >= (SELECT COALESCE(MAX(ts), 0) - 8 * 86400 FROM health_samples);
        DROP TABLE health_samples;
        ALTER TABLE health_samples_compact RENAME TO health_samples;
        """
    )
