-- The standard session schema ("SQL Server Storage Database" in the Integration Client guide),
-- for Microsoft SQL Server 2008 and later. Table and column names are a public interface that
-- reports query: keep them.
--
-- ictray runs each statement once, when the table or index it creates does not exist yet, in
-- the login's default schema.
-- Times are UTC, in DATETIME2(0) columns. Text is NVARCHAR (Unicode).
-- Flags (is_owner, is_primary, rpat_support) are 1 or 0.

-- The schema version ictray created; a newer version is refused by an older ictray.
CREATE TABLE ictray_schema (
    version INT NOT NULL PRIMARY KEY,
    applied_at DATETIME2(0) NOT NULL
);

-- One row per support session; lsid and host_name (the site) identify it.
CREATE TABLE session (
    id BIGINT IDENTITY(1, 1) NOT NULL PRIMARY KEY,
    lsid NVARCHAR(64) NOT NULL,
    type NVARCHAR(64),
    start_time DATETIME2(0),
    end_time DATETIME2(0),
    duration NVARCHAR(32),
    file_transfers INT,
    host_name NVARCHAR(255) NOT NULL,
    external_key NVARCHAR(1024),
    public_site_id INT,
    public_site_name NVARCHAR(255),
    lseq INT
);
CREATE UNIQUE INDEX ux_session_lsid_host_name ON session (lsid, host_name);
CREATE INDEX ix_session_start_time ON session (start_time);

CREATE TABLE session_event (
    id BIGINT IDENTITY(1, 1) NOT NULL PRIMARY KEY,
    session_id BIGINT NOT NULL,
    type NVARCHAR(255),
    event_time DATETIME2(0),
    performed_by NVARCHAR(1024),
    performed_by_type NVARCHAR(64),
    destination NVARCHAR(1024),
    destination_type NVARCHAR(64),
    CONSTRAINT fk_session_event_session FOREIGN KEY (session_id) REFERENCES session (id)
);
CREATE INDEX ix_session_event_session_id ON session_event (session_id);
CREATE INDEX ix_session_event_event_time ON session_event (event_time);

-- Name/value pairs of an event: data values, body, file names and sizes, everything else.
CREATE TABLE session_event_data (
    id BIGINT IDENTITY(1, 1) NOT NULL PRIMARY KEY,
    session_event_id BIGINT NOT NULL,
    name NVARCHAR(512),
    value NVARCHAR(MAX),
    CONSTRAINT fk_session_event_data_event FOREIGN KEY (session_event_id)
        REFERENCES session_event (id)
);
CREATE INDEX ix_session_event_data_event_id ON session_event_data (session_event_id);

-- One row per category; information holds the category's <description> and <data> XML.
CREATE TABLE system_information (
    id BIGINT IDENTITY(1, 1) NOT NULL PRIMARY KEY,
    session_event_id BIGINT NOT NULL,
    category NVARCHAR(255),
    information NVARCHAR(MAX),
    CONSTRAINT fk_system_information_event FOREIGN KEY (session_event_id)
        REFERENCES session_event (id)
);
CREATE INDEX ix_system_information_event_id ON system_information (session_event_id);

CREATE TABLE representative (
    id BIGINT IDENTITY(1, 1) NOT NULL PRIMARY KEY,
    gs_number INT,
    session_id BIGINT NOT NULL,
    user_id INT,
    user_name NVARCHAR(255),
    display_name NVARCHAR(1024),
    public_display_name NVARCHAR(1024),
    display_number INT,
    public_ip NVARCHAR(255),
    private_ip NVARCHAR(255),
    is_owner TINYINT,
    is_primary TINYINT,
    duration INT,
    host_name NVARCHAR(255),
    operating_system NVARCHAR(255),
    CONSTRAINT fk_representative_session FOREIGN KEY (session_id) REFERENCES session (id)
);
CREATE INDEX ix_representative_session_id ON representative (session_id);

CREATE TABLE customer (
    id BIGINT IDENTITY(1, 1) NOT NULL PRIMARY KEY,
    session_id BIGINT NOT NULL,
    gs_number INT,
    issue NVARCHAR(1024),
    issue_description NVARCHAR(MAX),
    display_name NVARCHAR(1024),
    company_name NVARCHAR(1024),
    company_code NVARCHAR(255),
    public_ip NVARCHAR(255),
    private_ip NVARCHAR(255),
    rpat_support TINYINT,
    host_name NVARCHAR(255),
    operating_system NVARCHAR(255),
    CONSTRAINT fk_customer_session FOREIGN KEY (session_id) REFERENCES session (id)
);
CREATE INDEX ix_customer_session_id ON customer (session_id);

CREATE TABLE team (
    id BIGINT IDENTITY(1, 1) NOT NULL PRIMARY KEY,
    session_id BIGINT NOT NULL,
    team_id INT,
    name NVARCHAR(1024),
    is_primary TINYINT,
    CONSTRAINT fk_team_session FOREIGN KEY (session_id) REFERENCES session (id)
);
CREATE INDEX ix_team_session_id ON team (session_id);

CREATE TABLE custom_attribute (
    id BIGINT IDENTITY(1, 1) NOT NULL PRIMARY KEY,
    session_id BIGINT NOT NULL,
    display_name NVARCHAR(1024),
    code_name NVARCHAR(255),
    value NVARCHAR(MAX),
    CONSTRAINT fk_custom_attribute_session FOREIGN KEY (session_id) REFERENCES session (id)
);
CREATE INDEX ix_custom_attribute_session_id ON custom_attribute (session_id);

-- Not in the guide: name/value pairs of a session that no column above holds (recording and
-- chat URLs, primary customer and representative, exit surveys, ...), so nothing is dropped.
CREATE TABLE session_data (
    id BIGINT IDENTITY(1, 1) NOT NULL PRIMARY KEY,
    session_id BIGINT NOT NULL,
    name NVARCHAR(512),
    value NVARCHAR(MAX),
    CONSTRAINT fk_session_data_session FOREIGN KEY (session_id) REFERENCES session (id)
);
CREATE INDEX ix_session_data_session_id ON session_data (session_id);
