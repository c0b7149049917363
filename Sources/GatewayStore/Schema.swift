import GRDB

/// The store's versioned migrations. A migration that has shipped is never edited: add a new one.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-ledger-households-quarantine") { db in
            try db.execute(
                sql: """
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
                    """)
        }
        migrator.registerMigration("v2-partner-records-identity-links") { db in
            try db.execute(
                sql: """
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
                    """)
        }
        migrator.registerMigration("v3-exchanges-journal-claims") { db in
            try db.execute(
                sql: """
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
                    """)
        }
        // After every other migration: the API's keys and audit log (AccessControl.swift).
        registerAPI(&migrator)
        return migrator
    }
}
