import Foundation
import GRDB

/// The store's versioned migrations: SQLite's here, PostgreSQL's written out beside them (`PostgresSchema.swift`),
/// step for step under the same identifiers. A migration that has shipped is never edited: add a new one to both.
public enum Schema {
    /// Every SQLite migration, in order: its identifier and its statements.
    public static let sqlite: [(id: String, sql: String)] = [
        ("v1-ledger-households-quarantine", v1), ("v2-partner-records-identity-links", v2),
        ("v3-exchanges-journal-claims", v3), ("v4-api", v4API), ("v5-anomalies", v5Anomalies),
        ("v6-replay", v6Replay), ("v7-packed-household-source", v7PackedSource),
        ("v8-mail-outbox", v8MailOutbox), ("v9-staff-accounts", v9StaffAccounts),
    ]

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for (id, sql) in sqlite {
            migrator.registerMigration(id) { db in try db.execute(sql: sql) }
        }
        return migrator
    }

    static let v1 = """
                        CREATE TABLE received_file (
                            id INTEGER PRIMARY KEY,
                            partner TEXT NOT NULL,
                            flow TEXT NOT NULL,
                            sha256 TEXT NOT NULL,
                            name TEXT NOT NULL,
                            size INTEGER NOT NULL,
                            received_at TEXT NOT NULL,
                            -- applied | rejected (read but refused as a whole) | unreadable (cannot be parsed)
                            outcome TEXT NOT NULL,
                            reference_date TEXT,
                            records INTEGER NOT NULL DEFAULT 0,
                            accepted INTEGER NOT NULL DEFAULT 0,
                            duplicates INTEGER NOT NULL DEFAULT 0,
                            quarantined INTEGER NOT NULL DEFAULT 0,
                            status_changes INTEGER NOT NULL DEFAULT 0,
                            -- file-level issues, JSON array of ValidationIssue
                            issues TEXT NOT NULL DEFAULT '[]',
                            kept_path TEXT,
                            UNIQUE (partner, sha256)
                        );
                        CREATE TABLE household (
                            id INTEGER PRIMARY KEY,
                            organisme TEXT NOT NULL,
                            matricule TEXT NOT NULL,
                            organisme_number TEXT,
                            rsa_request_number TEXT,
                            rsa_request_date TEXT,
                            partner_departement TEXT,
                            street_number TEXT, street_type TEXT, street_name TEXT, address_complement TEXT,
                            locality TEXT,
                            commune_insee TEXT,
                            postal_code TEXT,
                            commune_name TEXT,
                            departement TEXT,
                            homeless INTEGER NOT NULL DEFAULT 0,
                            soumis_droits_devoirs INTEGER,
                            right_state TEXT NOT NULL,
                            first_file_id INTEGER NOT NULL REFERENCES received_file(id),
                            last_file_id INTEGER NOT NULL REFERENCES received_file(id),
                            last_reference_date TEXT,
                            absent_since_file_id INTEGER REFERENCES received_file(id),
                            -- the household as last stated, canonical JSON, to derive the next changes
                            state TEXT NOT NULL,
                            UNIQUE (organisme, matricule)
                        );
                        CREATE TABLE right_status (
                            household_id INTEGER PRIMARY KEY REFERENCES household(id) ON DELETE CASCADE,
                            rsa_request_number TEXT,
                            state TEXT NOT NULL,
                            benefit_nature TEXT,
                            refusal_date TEXT, refusal_motive TEXT,
                            right_suspension_date TEXT, right_suspension_motive TEXT,
                            payment_suspension_date TEXT, payment_suspension_motive TEXT,
                            closure_date TEXT, closure_motive TEXT,
                            earlier_month_closure_date TEXT, earlier_month_closure_motive TEXT,
                            last_file_id INTEGER NOT NULL REFERENCES received_file(id)
                        );
                        CREATE TABLE person (
                            id INTEGER PRIMARY KEY,
                            household_id INTEGER NOT NULL REFERENCES household(id) ON DELETE CASCADE,
                            person_key TEXT NOT NULL,
                            nir13 TEXT,
                            nir_key TEXT,
                            civility TEXT,
                            surname TEXT NOT NULL,
                            birth_name TEXT,
                            first_name TEXT NOT NULL,
                            birth_date TEXT,
                            sex INTEGER,
                            role TEXT NOT NULL,
                            france_travail_id TEXT,
                            soumis_droits_devoirs INTEGER,
                            entrant_droits_devoirs INTEGER,
                            present INTEGER NOT NULL DEFAULT 1,
                            first_file_id INTEGER NOT NULL REFERENCES received_file(id),
                            last_file_id INTEGER NOT NULL REFERENCES received_file(id),
                            UNIQUE (household_id, person_key)
                        );
                        CREATE INDEX person_nir13 ON person(nir13) WHERE nir13 IS NOT NULL;
                        CREATE INDEX person_france_travail ON person(france_travail_id) WHERE france_travail_id IS NOT NULL;
                        CREATE TABLE cnaf_event (
                            household_id INTEGER NOT NULL REFERENCES household(id) ON DELETE CASCADE,
                            liquidation_date TEXT NOT NULL,
                            liquidation_time TEXT NOT NULL DEFAULT '',
                            code TEXT NOT NULL,
                            file_id INTEGER NOT NULL REFERENCES received_file(id),
                            PRIMARY KEY (household_id, liquidation_date, liquidation_time, code)
                        ) WITHOUT ROWID;
                        CREATE TABLE status_change (
                            id INTEGER PRIMARY KEY,
                            household_id INTEGER NOT NULL REFERENCES household(id) ON DELETE CASCADE,
                            person_id INTEGER REFERENCES person(id) ON DELETE CASCADE,
                            kind TEXT NOT NULL,
                            effective_date TEXT,
                            before_value TEXT,
                            after_value TEXT,
                            motive TEXT,
                            event_code TEXT,
                            file_id INTEGER NOT NULL REFERENCES received_file(id)
                        );
                        CREATE INDEX status_change_file ON status_change(file_id);
                        CREATE INDEX status_change_household ON status_change(household_id);
                        CREATE TABLE quarantine (
                            id INTEGER PRIMARY KEY,
                            file_id INTEGER NOT NULL REFERENCES received_file(id),
                            record_index INTEGER NOT NULL,
                            line INTEGER,
                            -- masked business key, safe to show to the partner
                            record_key TEXT,
                            raw TEXT NOT NULL,
                            -- JSON array of ValidationIssue (values masked)
                            issues TEXT NOT NULL
                        );
                        CREATE INDEX quarantine_file ON quarantine(file_id);
        """

    static let v2 = """
                        -- One row per canonical record of the partner flows (enrolment, cv-deposit, job-post,
                        -- accompaniment, sourcing-feedback), upserted on its business key; `state` is its canonical JSON.
                        CREATE TABLE partner_record (
                            id INTEGER PRIMARY KEY,
                            entity TEXT NOT NULL,
                            business_key TEXT NOT NULL,
                            partner TEXT NOT NULL,
                            -- operator code (accompaniment), département (job post), post id (feedback)
                            scope TEXT,
                            person_id INTEGER REFERENCES person(id) ON DELETE SET NULL,
                            -- how the person was found: nir | matricule | france-travail | name; NULL when unmatched
                            matched_by TEXT,
                            state TEXT NOT NULL,
                            first_file_id INTEGER NOT NULL REFERENCES received_file(id),
                            last_file_id INTEGER NOT NULL REFERENCES received_file(id),
                            UNIQUE (entity, business_key)
                        );
                        CREATE INDEX partner_record_person ON partner_record(person_id) WHERE person_id IS NOT NULL;
                        CREATE INDEX partner_record_scope ON partner_record(entity, scope);
                        -- Identifiers of a person learnt from partners (a France Travail id from an enrolment matched
                        -- on the NIR), with their source: the next flow that only knows that identifier finds the person.
                        CREATE TABLE person_identifier (
                            person_id INTEGER NOT NULL REFERENCES person(id) ON DELETE CASCADE,
                            kind TEXT NOT NULL,
                            value TEXT NOT NULL,
                            partner TEXT NOT NULL,
                            file_id INTEGER NOT NULL REFERENCES received_file(id),
                            PRIMARY KEY (kind, value, person_id)
                        ) WITHOUT ROWID;
                        CREATE INDEX person_birth_date ON person(birth_date);
                        -- France Travail ids are matched on their first 8 characters (the CNAF form).
                        CREATE INDEX person_france_travail8 ON person(substr(france_travail_id, 1, 8));
                        -- Candidates proposed for a job post; the employer teams' feedback refers to them.
                        CREATE TABLE proposal (
                            id TEXT PRIMARY KEY,
                            post_id TEXT NOT NULL,
                            person_id INTEGER NOT NULL REFERENCES person(id) ON DELETE CASCADE,
                            accompaniment_id INTEGER REFERENCES partner_record(id) ON DELETE SET NULL,
                            team TEXT NOT NULL,
                            rank INTEGER NOT NULL,
                            score INTEGER NOT NULL,
                            proposed_at TEXT NOT NULL,
                            outcome TEXT,
                            UNIQUE (post_id, person_id)
                        );
        """

    static let v3 = """
                        -- One row per run of an exchange (gateway.yaml), with its outcome.
                        CREATE TABLE exchange_run (
                            id INTEGER PRIMARY KEY,
                            exchange TEXT NOT NULL,
                            direction TEXT NOT NULL,
                            -- host/pid/random of the gateway process
                            owner TEXT NOT NULL,
                            started_at TEXT NOT NULL,
                            finished_at TEXT,
                            -- running | succeeded | failed | partial (some files failed) | interrupted
                            outcome TEXT NOT NULL DEFAULT 'running',
                            attempts INTEGER NOT NULL DEFAULT 0,
                            files INTEGER NOT NULL DEFAULT 0,
                            bytes INTEGER NOT NULL DEFAULT 0,
                            duration_ms INTEGER,
                            message TEXT
                        );
                        CREATE INDEX exchange_run_started ON exchange_run(started_at);
                        -- One row per file handled by a run: names, sizes, hashes and counts, never record content.
                        CREATE TABLE exchange_transfer (
                            id INTEGER PRIMARY KEY,
                            run_id INTEGER NOT NULL REFERENCES exchange_run(id),
                            exchange TEXT NOT NULL,
                            direction TEXT NOT NULL,
                            name TEXT NOT NULL,
                            size INTEGER,
                            sha256 TEXT,
                            file_id INTEGER,
                            -- applied | already-received | rejected | unreadable | sent | already-sent | failed
                            outcome TEXT NOT NULL,
                            records INTEGER,
                            accepted INTEGER,
                            quarantined INTEGER,
                            moved_to TEXT,
                            attempts INTEGER NOT NULL DEFAULT 1,
                            duration_ms INTEGER,
                            at TEXT NOT NULL,
                            message TEXT
                        );
                        CREATE INDEX exchange_transfer_run ON exchange_transfer(run_id);
                        -- Who holds a file (exchange, remote name, size, stamp): the store is the lock between gateways.
                        -- `claimed` with a lease while a gateway works on it, `done` once it is imported and archived.
                        CREATE TABLE exchange_claim (
                            exchange TEXT NOT NULL,
                            name TEXT NOT NULL,
                            size INTEGER NOT NULL,
                            modified TEXT NOT NULL,
                            state TEXT NOT NULL,
                            owner TEXT,
                            lease_until REAL,
                            sha256 TEXT,
                            updated_at TEXT NOT NULL,
                            PRIMARY KEY (exchange, name, size, modified)
                        ) WITHOUT ROWID;
                        -- Files sent by outbound exchanges (and rejection notices): never sent twice with the same content.
                        CREATE TABLE exchange_sent (
                            exchange TEXT NOT NULL,
                            name TEXT NOT NULL,
                            sha256 TEXT NOT NULL,
                            size INTEGER NOT NULL,
                            -- the name generated before any renaming to avoid an existing remote file
                            source_name TEXT NOT NULL,
                            sent_at TEXT NOT NULL,
                            run_id INTEGER,
                            PRIMARY KEY (exchange, source_name, sha256)
                        ) WITHOUT ROWID;
                        -- Per exchange: when it last started (the schedule) and how far an outbound one has read.
                        CREATE TABLE exchange_state (
                            exchange TEXT PRIMARY KEY,
                            last_started REAL,
                            cursor INTEGER
                        );
        """

    /// The API's tables: keys (hashed) and the audit log. Registered after every earlier migration.
    static let v4API = """
        CREATE TABLE api_key (
            id INTEGER PRIMARY KEY,
            -- public prefix of the key, shown in lists and in the audit log
            key_id TEXT NOT NULL UNIQUE,
            partner TEXT NOT NULL,
            -- SHA-256 (hex) of the whole key: the key itself is never stored
            sha256 TEXT NOT NULL UNIQUE,
            -- space-separated: flow:<flow>:in, flow:<flow>:out, admin
            scopes TEXT NOT NULL,
            label TEXT,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        );
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            partner TEXT,
            action TEXT NOT NULL,
            subject_kind TEXT NOT NULL,
            -- a file or person number, a file name, a report: never a NIR nor a name
            subject TEXT NOT NULL,
            purpose TEXT NOT NULL,
            route TEXT,
            status INTEGER
        );
        CREATE INDEX audit_log_at ON audit_log(at);
        CREATE INDEX audit_log_partner ON audit_log(partner, at);
        -- Work that several gateway instances share (a pushed file, a scheduled exchange): each item is
        -- claimed by one instance, for a lease, and done once.
        CREATE TABLE work_item (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            -- pending | claimed | done
            state TEXT NOT NULL DEFAULT 'pending',
            claimed_by TEXT,
            claimed_until TEXT,
            outcome TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (kind, key)
        );
        CREATE INDEX work_item_pending ON work_item(kind, state, id);
        """

    static let v5Anomalies = """
                        -- What the gateway's plausibility checks found in records it applied (or in the file), set to
                        -- warn by the flow's mapping: one row per finding, values masked as in the quarantine.
                        CREATE TABLE anomaly (
                            id INTEGER PRIMARY KEY,
                            file_id INTEGER NOT NULL REFERENCES received_file(id),
                            -- the record's index in its file (0-based, as the quarantine's); NULL for the file
                            record_index INTEGER,
                            line INTEGER,
                            record_key TEXT,
                            household_id INTEGER REFERENCES household(id) ON DELETE CASCADE,
                            partner_record_id INTEGER REFERENCES partner_record(id) ON DELETE CASCADE,
                            check_id TEXT NOT NULL,
                            type TEXT NOT NULL,
                            field TEXT,
                            path TEXT,
                            value TEXT,
                            message TEXT NOT NULL
                        );
                        CREATE INDEX anomaly_file ON anomaly(file_id);
                        CREATE INDEX anomaly_household ON anomaly(household_id) WHERE household_id IS NOT NULL;
                        CREATE INDEX anomaly_partner_record ON anomaly(partner_record_id) WHERE partner_record_id IS NOT NULL;
                        ALTER TABLE received_file ADD COLUMN anomalies INTEGER NOT NULL DEFAULT 0;
        """

    static let v6Replay = """
                        -- A quarantined record is kept, never deleted: open (to fix), waiting (a feedback whose
                        -- proposal is not made yet: applied when it is), reprocessed (applied by a replay, linked to
                        -- what it became), resolved (closed by hand, with a reason).
                        ALTER TABLE quarantine ADD COLUMN status TEXT NOT NULL DEFAULT 'open';
                        ALTER TABLE quarantine ADD COLUMN waiting_for TEXT;
                        ALTER TABLE quarantine ADD COLUMN resolved_at TEXT;
                        ALTER TABLE quarantine ADD COLUMN resolution TEXT;
                        -- the journal run (exchange_run) of the replay that applied it
                        ALTER TABLE quarantine ADD COLUMN replay_run_id INTEGER;
                        ALTER TABLE quarantine ADD COLUMN applied_household_id INTEGER;
                        ALTER TABLE quarantine ADD COLUMN applied_partner_record_id INTEGER;
                        CREATE INDEX quarantine_status ON quarantine(status);
                        -- CSV: the header line of the file, so that its quarantined rows can be read again.
                        ALTER TABLE received_file ADD COLUMN header TEXT;
                        ALTER TABLE received_file ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;
                        -- Records kept waiting (feedback before its proposal), counted apart from the quarantined.
                        ALTER TABLE received_file ADD COLUMN waiting INTEGER NOT NULL DEFAULT 0;
                        -- Every later attempt at a file refused whole (import --retry), linked to the file.
                        -- Every CNAF household kept whole: its record as last received (the InfosFoyerRSA element,
                        -- UTF-8), so that no element of a valid file is lost and a later mapping can promote one
                        -- without the file. Personal data: shown in the right-of-access export, erased by purge.
                        CREATE TABLE household_source (
                            household_id INTEGER PRIMARY KEY REFERENCES household(id) ON DELETE CASCADE,
                            file_id INTEGER NOT NULL REFERENCES received_file(id),
                            raw TEXT NOT NULL
                        );
                        CREATE TABLE file_attempt (
                            file_id INTEGER NOT NULL REFERENCES received_file(id),
                            attempt INTEGER NOT NULL,
                            at TEXT NOT NULL,
                            actor TEXT NOT NULL,
                            outcome TEXT NOT NULL,
                            issues TEXT NOT NULL DEFAULT '[]',
                            run_id INTEGER,
                            PRIMARY KEY (file_id, attempt)
                        );
        """

    static let v7PackedSource = """
        -- A household's record kept compressed (LZ4, RecordPacker): `packed` holds it and `raw` is empty; rows
        -- written before keep their text in `raw` until the household's next record replaces them.
        ALTER TABLE household_source ADD COLUMN packed BLOB;
        """

    static let v8MailOutbox = """
        -- The mails to the people who must act, kept until their server took them: counts, file names and
        -- links only, never a record's content. `event_key` names what a mail is about: one mail per event.
        CREATE TABLE mail_outbox (
            id INTEGER PRIMARY KEY,
            event_key TEXT NOT NULL UNIQUE,
            -- alerts-sent | candidates-sent | exchange-failed | file-refused | notice-sent | cv-deposit-under-target
            event TEXT NOT NULL,
            -- the addresses, one per line
            recipients TEXT NOT NULL,
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at TEXT NOT NULL,
            -- pending | sending (claimed by one gateway until claimed_until) | sent | abandoned
            state TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            claimed_by TEXT,
            claimed_until TEXT,
            sent_at TEXT,
            last_error TEXT
        );
        CREATE INDEX mail_outbox_due ON mail_outbox(state, next_attempt_at);
        """

    static let v9StaffAccounts = """
        -- The département's staff who use the console, apart from partners' API keys: the password is kept as a
        -- bcrypt hash only; a disabled account is kept (the audit log names it) but can no longer sign in.
        CREATE TABLE staff_account (
            id INTEGER PRIMARY KEY,
            login TEXT NOT NULL UNIQUE,
            display_name TEXT NOT NULL,
            -- viewer | operator | admin
            role TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            disabled_at TEXT
        );
        """
}
