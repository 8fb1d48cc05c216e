-- The standard session schema ("SQL Server Storage Database" in the Integration Client guide),
-- for SQLite. Table and column names are a public interface that reports query: keep them.
--
-- ictray runs each statement once, when the table or index it creates does not exist yet.
-- Times are UTC, as text 'YYYY-MM-DD HH:MM:SS' (what SQLite's date and time functions read).
-- Flags (is_owner, is_primary, rpat_support) are 1 or 0.

-- The schema version ictray created; a newer version is refused by an older ictray.
CREATE TABLE ictray_schema (
    version INTEGER NOT NULL PRIMARY KEY,
    applied_at DATETIME NOT NULL
);

-- One row per support session; lsid and host_name (the site) identify it.
CREATE TABLE session (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    lsid VARCHAR(64) NOT NULL,
    type VARCHAR(64),
    start_time DATETIME,
    end_time DATETIME,
    duration VARCHAR(32),
    file_transfers INTEGER,
    host_name VARCHAR(255) NOT NULL,
    external_key VARCHAR(1024),
    public_site_id INTEGER,
    public_site_name VARCHAR(255),
    lseq INTEGER
);
CREATE UNIQUE INDEX ux_session_lsid_host_name ON session (lsid, host_name);
CREATE INDEX ix_session_start_time ON session (start_time);

CREATE TABLE session_event (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id INTEGER NOT NULL,
    type VARCHAR(255),
    event_time DATETIME,
    performed_by VARCHAR(1024),
    performed_by_type VARCHAR(64),
    destination VARCHAR(1024),
    destination_type VARCHAR(64),
    CONSTRAINT fk_session_event_session FOREIGN KEY (session_id) REFERENCES session (id)
);
CREATE INDEX ix_session_event_session_id ON session_event (session_id);
CREATE INDEX ix_session_event_event_time ON session_event (event_time);

-- Name/value pairs of an event: data values, body, file names and sizes, everything else.
CREATE TABLE session_event_data (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_event_id INTEGER NOT NULL,
    name VARCHAR(512),
    value TEXT,
    CONSTRAINT fk_session_event_data_event FOREIGN KEY (session_event_id)
        REFERENCES session_event (id)
);
CREATE INDEX ix_session_event_data_event_id ON session_event_data (session_event_id);

-- One row per category; information holds the category's <description> and <data> XML.
CREATE TABLE system_information (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_event_id INTEGER NOT NULL,
    category VARCHAR(255),
    information TEXT,
    CONSTRAINT fk_system_information_event FOREIGN KEY (session_event_id)
        REFERENCES session_event (id)
);
CREATE INDEX ix_system_information_event_id ON system_information (session_event_id);

CREATE TABLE representative (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    gs_number INTEGER,
    session_id INTEGER NOT NULL,
    user_id INTEGER,
    user_name VARCHAR(255),
    display_name VARCHAR(1024),
    public_display_name VARCHAR(1024),
    display_number INTEGER,
    public_ip VARCHAR(255),
    private_ip VARCHAR(255),
    is_owner INTEGER,
    is_primary INTEGER,
    duration INTEGER,
    host_name VARCHAR(255),
    operating_system VARCHAR(255),
    CONSTRAINT fk_representative_session FOREIGN KEY (session_id) REFERENCES session (id)
);
CREATE INDEX ix_representative_session_id ON representative (session_id);

CREATE TABLE customer (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id INTEGER NOT NULL,
    gs_number INTEGER,
    issue VARCHAR(1024),
    issue_description TEXT,
    display_name VARCHAR(1024),
    company_name VARCHAR(1024),
    company_code VARCHAR(255),
    public_ip VARCHAR(255),
    private_ip VARCHAR(255),
    rpat_support INTEGER,
    host_name VARCHAR(255),
    operating_system VARCHAR(255),
    CONSTRAINT fk_customer_session FOREIGN KEY (session_id) REFERENCES session (id)
);
CREATE INDEX ix_customer_session_id ON customer (session_id);

CREATE TABLE team (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id INTEGER NOT NULL,
    team_id INTEGER,
    name VARCHAR(1024),
    is_primary INTEGER,
    CONSTRAINT fk_team_session FOREIGN KEY (session_id) REFERENCES session (id)
);
CREATE INDEX ix_team_session_id ON team (session_id);

CREATE TABLE custom_attribute (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id INTEGER NOT NULL,
    display_name VARCHAR(1024),
    code_name VARCHAR(255),
    value TEXT,
    CONSTRAINT fk_custom_attribute_session FOREIGN KEY (session_id) REFERENCES session (id)
);
CREATE INDEX ix_custom_attribute_session_id ON custom_attribute (session_id);

-- Not in the guide: name/value pairs of a session that no column above holds (recording and
-- chat URLs, primary customer and representative, exit surveys, ...), so nothing is dropped.
CREATE TABLE session_data (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id INTEGER NOT NULL,
    name VARCHAR(512),
    value TEXT,
    CONSTRAINT fk_session_data_session FOREIGN KEY (session_id) REFERENCES session (id)
);
CREATE INDEX ix_session_data_session_id ON session_data (session_id);
