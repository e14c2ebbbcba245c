/* Schema of the register. Append new steps; never edit a released one. Audit and person
 * versions are append-only: triggers refuse UPDATE and DELETE on them. */
#include "register_int.h"

static const char v1_sqlite[] =
    "CREATE TABLE fins (fin TEXT PRIMARY KEY, issued_at TEXT NOT NULL);"
    "CREATE TABLE persons ("
    " id INTEGER PRIMARY KEY,"
    " fin TEXT NOT NULL UNIQUE REFERENCES fins(fin),"
    " version INTEGER NOT NULL CHECK (version >= 1),"
    " surname_key TEXT NOT NULL, given_name_key TEXT NOT NULL, birth_date TEXT NOT NULL,"
    " record TEXT NOT NULL,"
    " created_at TEXT NOT NULL, updated_at TEXT NOT NULL);"
    "CREATE INDEX persons_by_name ON persons (surname_key, given_name_key, birth_date);"
    "CREATE TABLE person_versions ("
    " person_id INTEGER NOT NULL REFERENCES persons(id),"
    " version INTEGER NOT NULL,"
    " record TEXT NOT NULL,"
    " changed_at TEXT NOT NULL, changed_by TEXT NOT NULL, agency TEXT NOT NULL,"
    " reason TEXT NOT NULL,"
    " PRIMARY KEY (person_id, version));"
    "CREATE TRIGGER person_versions_keep_update BEFORE UPDATE ON person_versions"
    " BEGIN SELECT RAISE(ABORT, 'person history is append-only'); END;"
    "CREATE TRIGGER person_versions_keep_delete BEFORE DELETE ON person_versions"
    " BEGIN SELECT RAISE(ABORT, 'person history is append-only'); END;"
    "CREATE TRIGGER fins_keep BEFORE DELETE ON fins"
    " BEGIN SELECT RAISE(ABORT, 'a FIN is never reused'); END;"
    "CREATE TABLE api_keys ("
    " id TEXT PRIMARY KEY, secret_hash BLOB NOT NULL, agency TEXT NOT NULL, role TEXT NOT NULL,"
    " label TEXT, created_at TEXT NOT NULL, created_by TEXT NOT NULL, revoked_at TEXT);"
    "CREATE TABLE audit ("
    " id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, agency TEXT NOT NULL,"
    " role TEXT NOT NULL, action TEXT NOT NULL, object TEXT, purpose TEXT,"
    " outcome TEXT NOT NULL, origin TEXT, detail TEXT,"
    " prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
    "CREATE INDEX audit_by_object ON audit (object);"
    "CREATE INDEX audit_by_actor ON audit (actor);"
    "CREATE TRIGGER audit_keep_update BEFORE UPDATE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;"
    "CREATE TRIGGER audit_keep_delete BEFORE DELETE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;";

/* Blank stock: which moves a blank may make is enforced here, by the database, so no
 * code path (or hand-written SQL) can personalise a blank twice or revive a lost one. */
static const char v2_sqlite[] =
    "CREATE TABLE offices (code TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL,"
    " created_at TEXT NOT NULL);"
    "CREATE TABLE blank_batches (id INTEGER PRIMARY KEY, doc_type TEXT NOT NULL,"
    " first_serial TEXT NOT NULL, last_serial TEXT NOT NULL, count INTEGER NOT NULL,"
    " office TEXT NOT NULL REFERENCES offices(code), printer TEXT, reference TEXT,"
    " received_at TEXT NOT NULL, received_by TEXT NOT NULL);"
    "CREATE TABLE blank_transfers (id INTEGER PRIMARY KEY,"
    " from_office TEXT NOT NULL REFERENCES offices(code),"
    " to_office TEXT NOT NULL REFERENCES offices(code), count INTEGER NOT NULL,"
    " state TEXT NOT NULL CHECK (state IN ('in_transit', 'received')),"
    " sent_at TEXT NOT NULL, sent_by TEXT NOT NULL, received_at TEXT, received_by TEXT,"
    " reference TEXT);"
    "CREATE TABLE blanks (serial TEXT PRIMARY KEY,"
    " batch_id INTEGER NOT NULL REFERENCES blank_batches(id), doc_type TEXT NOT NULL,"
    " office TEXT NOT NULL REFERENCES offices(code),"
    " state TEXT NOT NULL CHECK (state IN ('in_stock', 'in_transit', 'personalised', 'issued',"
    "  'spoiled', 'destroyed', 'lost', 'stolen')),"
    " transfer_id INTEGER REFERENCES blank_transfers(id), document_number TEXT UNIQUE,"
    " updated_at TEXT NOT NULL);"
    "CREATE INDEX blanks_by_office ON blanks (office, doc_type, state, serial);"
    "CREATE INDEX blanks_by_transfer ON blanks (transfer_id);"
    "CREATE TRIGGER blanks_moves BEFORE UPDATE OF state ON blanks"
    " WHEN NEW.state <> OLD.state AND (OLD.state || '>' || NEW.state) NOT IN ("
    "  'in_stock>in_transit', 'in_transit>in_stock', 'in_stock>personalised',"
    "  'personalised>issued', 'personalised>spoiled', 'in_stock>spoiled', 'spoiled>destroyed',"
    "  'in_stock>lost', 'in_stock>stolen', 'in_transit>lost', 'in_transit>stolen',"
    "  'personalised>lost', 'personalised>stolen')"
    " BEGIN SELECT RAISE(ABORT, 'blank state change not allowed'); END;"
    "CREATE TRIGGER blanks_personalised_once BEFORE UPDATE OF document_number ON blanks"
    " WHEN OLD.document_number IS NOT NULL"
    "  AND (NEW.document_number IS NULL OR NEW.document_number <> OLD.document_number)"
    " BEGIN SELECT RAISE(ABORT, 'a blank is personalised once'); END;"
    "CREATE TRIGGER blanks_personalised_has_number BEFORE UPDATE OF state ON blanks"
    " WHEN NEW.state = 'personalised' AND NEW.document_number IS NULL"
    " BEGIN SELECT RAISE(ABORT, 'a personalised blank needs its document number'); END;"
    "CREATE TRIGGER blanks_keep BEFORE DELETE ON blanks"
    " BEGIN SELECT RAISE(ABORT, 'blanks are never deleted'); END;"
    "CREATE TABLE blank_events (id INTEGER PRIMARY KEY,"
    " serial TEXT NOT NULL REFERENCES blanks(serial), at TEXT NOT NULL, from_state TEXT,"
    " to_state TEXT NOT NULL, office TEXT NOT NULL, actor TEXT NOT NULL, reason TEXT);"
    "CREATE INDEX blank_events_by_office ON blank_events (office, at);"
    "CREATE INDEX blank_events_by_serial ON blank_events (serial);"
    "CREATE TRIGGER blank_events_keep_update BEFORE UPDATE ON blank_events"
    " BEGIN SELECT RAISE(ABORT, 'blank history is append-only'); END;"
    "CREATE TRIGGER blank_events_keep_delete BEFORE DELETE ON blank_events"
    " BEGIN SELECT RAISE(ABORT, 'blank history is append-only'); END;"
    "CREATE TABLE blank_alerts (id INTEGER PRIMARY KEY, at TEXT NOT NULL, serial TEXT,"
    " office TEXT, kind TEXT NOT NULL, detail TEXT);";

/* Watchlists (persons, vehicles, invalid documents) and entry/exit bans. Entries are never
 * deleted: removal sets removed_at, so what a checkpoint saw on a given day can be shown. */
static const char v3_sqlite[] =
    "CREATE TABLE watchlists (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE,"
    " name TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('person', 'vehicle', 'document')),"
    " owner_agency TEXT NOT NULL, visible_to TEXT NOT NULL, legal_basis TEXT NOT NULL,"
    " handling TEXT, valid_from TEXT NOT NULL, valid_to TEXT,"
    " created_at TEXT NOT NULL, created_by TEXT NOT NULL);"
    "CREATE TABLE watch_entries (id INTEGER PRIMARY KEY,"
    " list_id INTEGER NOT NULL REFERENCES watchlists(id), kind TEXT NOT NULL,"
    " key1 TEXT NOT NULL, key2 TEXT, birth_date TEXT, fin TEXT, nationality TEXT,"
    " record TEXT NOT NULL, reason TEXT NOT NULL,"
    " added_at TEXT NOT NULL, added_by TEXT NOT NULL,"
    " removed_at TEXT, removed_by TEXT, removed_reason TEXT);"
    "CREATE INDEX watch_entries_by_key ON watch_entries (kind, key1);"
    "CREATE INDEX watch_entries_by_fin ON watch_entries (fin);"
    "CREATE TRIGGER watch_entries_keep BEFORE DELETE ON watch_entries"
    " BEGIN SELECT RAISE(ABORT, 'watchlist entries are removed, never deleted'); END;"
    "CREATE TABLE bans (id INTEGER PRIMARY KEY, fin TEXT, surname TEXT NOT NULL,"
    " given_name TEXT NOT NULL, surname_key TEXT NOT NULL, given_key TEXT NOT NULL,"
    " birth_date TEXT, nationality TEXT,"
    " direction TEXT NOT NULL CHECK (direction IN ('entry', 'exit', 'both')),"
    " starts TEXT NOT NULL, ends TEXT, legal_basis TEXT NOT NULL, authority TEXT NOT NULL,"
    " created_at TEXT NOT NULL, created_by TEXT NOT NULL,"
    " lifted_at TEXT, lifted_by TEXT, lift_reason TEXT);"
    "CREATE INDEX bans_by_fin ON bans (fin);"
    "CREATE TRIGGER bans_keep BEFORE DELETE ON bans"
    " BEGIN SELECT RAISE(ABORT, 'bans are lifted, never deleted'); END;";

/* Identity service: biometric samples sealed at rest, enrolment transactions (a pending one
 * keeps its sealed samples until an adjudicator decides), adjudication cases, and the
 * ordered change log that in-memory galleries follow. */
static const char v4_sqlite[] =
    "CREATE TABLE biometrics (id INTEGER PRIMARY KEY,"
    " person_id INTEGER NOT NULL REFERENCES persons(id),"
    " modality TEXT NOT NULL CHECK (modality IN ('face', 'finger', 'voice', 'dna')),"
    " position INTEGER NOT NULL, template BLOB NOT NULL, image BLOB, quality INTEGER,"
    " engine TEXT NOT NULL, created_at TEXT NOT NULL, created_by TEXT NOT NULL,"
    " replaced_at TEXT);"
    "CREATE INDEX biometrics_by_person ON biometrics (person_id, modality, position);"
    "CREATE TABLE enrolments (id INTEGER PRIMARY KEY,"
    " status TEXT NOT NULL CHECK (status IN ('unique', 'duplicate', 'possible', 'same',"
    "  'different')),"
    " fin TEXT, duplicate_of TEXT, pending BLOB, result TEXT NOT NULL,"
    " created_at TEXT NOT NULL, created_by TEXT NOT NULL, agency TEXT NOT NULL,"
    " decided_at TEXT);"
    "CREATE TABLE cases (id INTEGER PRIMARY KEY,"
    " enrolment_id INTEGER NOT NULL UNIQUE REFERENCES enrolments(id),"
    " status TEXT NOT NULL CHECK (status IN ('open', 'decided')), candidates TEXT NOT NULL,"
    " opened_at TEXT NOT NULL, decision TEXT CHECK (decision IN ('same', 'different')),"
    " decided_at TEXT, decided_by TEXT, note TEXT);"
    "CREATE TRIGGER cases_decide_once BEFORE UPDATE OF status ON cases"
    " WHEN OLD.status = 'decided'"
    " BEGIN SELECT RAISE(ABORT, 'a case is decided once'); END;"
    "CREATE TABLE gallery_changes (id INTEGER PRIMARY KEY, at TEXT NOT NULL,"
    " op TEXT NOT NULL CHECK (op IN ('add', 'remove')),"
    " biometric_id INTEGER NOT NULL REFERENCES biometrics(id));";

/* Issued documents and their life cycle; the moves a status may make are enforced here. */
static const char v5_sqlite[] =
    "CREATE TABLE documents (id INTEGER PRIMARY KEY, number TEXT NOT NULL UNIQUE,"
    " type TEXT NOT NULL, person_id INTEGER NOT NULL REFERENCES persons(id), fin TEXT NOT NULL,"
    " office TEXT NOT NULL REFERENCES offices(code),"
    " blank_serial TEXT UNIQUE REFERENCES blanks(serial), issuing_state TEXT NOT NULL,"
    " mrz TEXT, issued_on TEXT NOT NULL, expires_on TEXT NOT NULL,"
    " status TEXT NOT NULL CHECK (status IN ('issued', 'handed_over', 'expired', 'revoked',"
    "  'lost', 'stolen')),"
    " status_at TEXT NOT NULL, chip_dir TEXT, created_by TEXT NOT NULL);"
    "CREATE INDEX documents_by_person ON documents (person_id, type, status);"
    "CREATE TRIGGER documents_moves BEFORE UPDATE OF status ON documents"
    " WHEN NEW.status <> OLD.status AND (OLD.status || '>' || NEW.status) NOT IN ("
    "  'issued>handed_over', 'issued>revoked', 'issued>lost', 'issued>stolen',"
    "  'handed_over>expired', 'handed_over>revoked', 'handed_over>lost', 'handed_over>stolen',"
    "  'expired>lost', 'expired>stolen')"
    " BEGIN SELECT RAISE(ABORT, 'document status change not allowed'); END;"
    "CREATE TRIGGER documents_keep BEFORE DELETE ON documents"
    " BEGIN SELECT RAISE(ABORT, 'documents are never deleted'); END;"
    "CREATE TABLE document_events (id INTEGER PRIMARY KEY,"
    " document_id INTEGER NOT NULL REFERENCES documents(id), at TEXT NOT NULL,"
    " from_status TEXT, to_status TEXT NOT NULL, actor TEXT NOT NULL, reason TEXT);"
    "CREATE TABLE document_sequences (type TEXT PRIMARY KEY, next INTEGER NOT NULL);";

/* Border crossings: one row per check, kept whatever the decision; a client's request id
 * makes a retried check return the first answer instead of a second record. */
static const char v6_sqlite[] =
    "CREATE TABLE crossings (id INTEGER PRIMARY KEY, request_id TEXT UNIQUE, at TEXT NOT NULL,"
    " day TEXT NOT NULL, checkpoint TEXT NOT NULL,"
    " direction TEXT NOT NULL CHECK (direction IN ('entry', 'exit')),"
    " officer TEXT NOT NULL, agency TEXT NOT NULL, document_number TEXT, issuing_state TEXT,"
    " nationality TEXT, fin TEXT, surname TEXT, given_name TEXT, birth_date TEXT, plate TEXT,"
    " decision TEXT NOT NULL CHECK (decision IN ('clear', 'refer', 'deny')),"
    " result TEXT NOT NULL);"
    "CREATE INDEX crossings_by_fin ON crossings (fin, at);"
    "CREATE INDEX crossings_by_document ON crossings (document_number, at);"
    "CREATE INDEX crossings_by_checkpoint ON crossings (checkpoint, day);"
    "CREATE TRIGGER crossings_keep_update BEFORE UPDATE ON crossings"
    " BEGIN SELECT RAISE(ABORT, 'crossing records are kept as made'); END;"
    "CREATE TRIGGER crossings_keep_delete BEFORE DELETE ON crossings"
    " BEGIN SELECT RAISE(ABORT, 'crossing records are kept as made'); END;";

/* DNA profiles: reference profiles of registered persons (linked to the person row) and
 * forensic profiles of unknown samples (case, scene, date collected, submitting agency) in
 * one table whose kind column fixes which fields must be present. The profile itself is
 * sealed with the data keyring. Removal is a status change, never a DELETE; the change log
 * lets every in-memory DNA database follow the table exactly. */
static const char v7_sqlite[] =
    "CREATE TABLE dna_profiles (id INTEGER PRIMARY KEY,"
    " kind TEXT NOT NULL CHECK (kind IN ('reference', 'forensic')),"
    " sample_id TEXT NOT NULL, person_id INTEGER REFERENCES persons(id),"
    " case_id TEXT, scene TEXT, collected_on TEXT, agency TEXT NOT NULL, population TEXT,"
    " loci INTEGER NOT NULL CHECK (loci >= 1), profile BLOB NOT NULL,"
    " status TEXT NOT NULL CHECK (status IN ('active', 'removed')),"
    " created_at TEXT NOT NULL, created_by TEXT NOT NULL,"
    " removed_at TEXT, removed_by TEXT, removed_reason TEXT,"
    " CHECK ((kind = 'reference' AND person_id IS NOT NULL AND case_id IS NULL"
    "   AND scene IS NULL)"
    "  OR (kind = 'forensic' AND person_id IS NULL AND case_id IS NOT NULL)),"
    " CHECK ((status = 'active' AND removed_at IS NULL)"
    "  OR (status = 'removed' AND removed_at IS NOT NULL AND removed_by IS NOT NULL)));"
    "CREATE UNIQUE INDEX dna_profiles_active ON dna_profiles (kind, sample_id)"
    " WHERE status = 'active';"
    "CREATE INDEX dna_profiles_by_case ON dna_profiles (case_id);"
    "CREATE TRIGGER dna_profiles_keep BEFORE DELETE ON dna_profiles"
    " BEGIN SELECT RAISE(ABORT, 'DNA profiles are removed, never deleted'); END;"
    "CREATE TRIGGER dna_profiles_fixed BEFORE UPDATE OF id, kind, sample_id, person_id, case_id,"
    " profile, created_at, created_by ON dna_profiles"
    " BEGIN SELECT RAISE(ABORT, 'a stored DNA profile is never altered'); END;"
    "CREATE TRIGGER dna_profiles_remove_once BEFORE UPDATE OF status ON dna_profiles"
    " WHEN OLD.status = 'removed'"
    " BEGIN SELECT RAISE(ABORT, 'a removed DNA profile stays removed'); END;"
    "CREATE TABLE dna_changes (id INTEGER PRIMARY KEY, at TEXT NOT NULL,"
    " op TEXT NOT NULL CHECK (op IN ('add', 'remove')),"
    " profile_id INTEGER NOT NULL REFERENCES dna_profiles(id));"
    "CREATE TRIGGER dna_changes_keep_update BEFORE UPDATE ON dna_changes"
    " BEGIN SELECT RAISE(ABORT, 'the DNA change log is append-only'); END;"
    "CREATE TRIGGER dna_changes_keep_delete BEFORE DELETE ON dna_changes"
    " BEGIN SELECT RAISE(ABORT, 'the DNA change log is append-only'); END;";
/* Visas issued to foreigners (with their MRV MRZ), residence registrations of citizens and
 * foreigners (for a foreigner the registration is the residence permit), and biometrics of
 * watchlist entries for persons who are not in the register, sealed like identity samples. */
static const char v9_sqlite[] =
    "CREATE TABLE visas (id INTEGER PRIMARY KEY, number TEXT NOT NULL UNIQUE,"
    " type TEXT NOT NULL CHECK (type IN ('A', 'C', 'D')),"
    " format TEXT NOT NULL CHECK (format IN ('MRV-A', 'MRV-B')),"
    " passport_number TEXT NOT NULL, nationality TEXT NOT NULL, surname TEXT NOT NULL,"
    " given_name TEXT NOT NULL, birth_date TEXT NOT NULL, sex TEXT NOT NULL,"
    " valid_from TEXT NOT NULL, valid_until TEXT NOT NULL CHECK (valid_until >= valid_from),"
    " entries INTEGER NOT NULL CHECK (entries >= 0), stay_days INTEGER NOT NULL"
    "  CHECK (stay_days > 0), mrz TEXT NOT NULL,"
    " status TEXT NOT NULL CHECK (status IN ('valid', 'revoked')),"
    " created_at TEXT NOT NULL, created_by TEXT NOT NULL, agency TEXT NOT NULL);"
    "CREATE INDEX visas_by_passport ON visas (passport_number, nationality);"
    "CREATE TRIGGER visas_keep BEFORE DELETE ON visas"
    " BEGIN SELECT RAISE(ABORT, 'visas are revoked, never deleted'); END;"
    "CREATE TABLE residences (id INTEGER PRIMARY KEY,"
    " kind TEXT NOT NULL CHECK (kind IN ('citizen', 'permit')), fin TEXT,"
    " document_number TEXT, nationality TEXT NOT NULL, surname TEXT, given_name TEXT,"
    " address TEXT NOT NULL, since TEXT NOT NULL, until TEXT,"
    " created_at TEXT NOT NULL, created_by TEXT NOT NULL, agency TEXT NOT NULL,"
    " CHECK (until IS NULL OR until >= since),"
    " CHECK (kind = 'citizen' OR (document_number IS NOT NULL AND until IS NOT NULL)));"
    "CREATE INDEX residences_by_document ON residences (document_number, nationality);"
    "CREATE INDEX residences_by_fin ON residences (fin);"
    "CREATE TRIGGER residences_keep BEFORE DELETE ON residences"
    " BEGIN SELECT RAISE(ABORT, 'residence registrations are kept'); END;"
    "CREATE TABLE watch_biometrics (id INTEGER PRIMARY KEY,"
    " entry_id INTEGER NOT NULL REFERENCES watch_entries(id),"
    " modality TEXT NOT NULL CHECK (modality IN ('face', 'finger')),"
    " position INTEGER NOT NULL, template BLOB NOT NULL, image BLOB,"
    " created_at TEXT NOT NULL, created_by TEXT NOT NULL);"
    "CREATE INDEX watch_biometrics_by_entry ON watch_biometrics (entry_id);";
/* Video watching: cameras, the wanted-persons face gallery (templates sealed), alerts with
 * their sealed snapshots and the operator's decision. Alerts are deleted after the
 * retention period; until then only the decision columns change. */
static const char v10_sqlite[] =
    "CREATE TABLE video_cameras (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " url TEXT NOT NULL, sample_fps REAL NOT NULL, created_at TEXT NOT NULL,"
    " created_by TEXT NOT NULL);"
    "CREATE TABLE video_wanted (id INTEGER PRIMARY KEY, label TEXT NOT NULL, fin TEXT,"
    " reason TEXT NOT NULL, template BLOB NOT NULL, added_at TEXT NOT NULL,"
    " added_by TEXT NOT NULL);"
    "CREATE TABLE video_alerts (id INTEGER PRIMARY KEY, camera TEXT NOT NULL,"
    " track INTEGER NOT NULL, wanted_id INTEGER NOT NULL, label TEXT NOT NULL,"
    " score REAL NOT NULL, fmr REAL NOT NULL, stream_time REAL NOT NULL,"
    " seen_at TEXT NOT NULL, snapshot BLOB,"
    " decision TEXT NOT NULL DEFAULT 'open'"
    " CHECK (decision IN ('open', 'acknowledged', 'dismissed')),"
    " decided_by TEXT, decided_at TEXT, note TEXT);"
    "CREATE INDEX video_alerts_by_time ON video_alerts (seen_at);";

/* Document applications held for adjudication: a desk's application whose live samples
 * possibly match another registered person waits, sealed (request and samples), in an
 * application case. Cases therefore belong to an enrolment or to an application, exactly
 * one. SQLite cannot drop NOT NULL in place, so `cases` is rebuilt with its rows and its
 * decide-once trigger (no table refers to it). An application is cleared ("different") for
 * one re-submission: its document number is written once. */
#define V11_APPLICATIONS(id, blob)                                                             \
    "CREATE TABLE applications (" id ", fin TEXT NOT NULL,"                                  \
    " status TEXT NOT NULL CHECK (status IN ('possible', 'same', 'different', 'issued')),"  \
    " pending " blob " NOT NULL, result TEXT NOT NULL, same_as TEXT, document TEXT,"        \
    " created_at TEXT NOT NULL, created_by TEXT NOT NULL, agency TEXT NOT NULL,"            \
    " decided_at TEXT, used_at TEXT,"                                                       \
    " CHECK (status <> 'same' OR same_as IS NOT NULL),"                                     \
    " CHECK ((status = 'issued') = (document IS NOT NULL)));"                               \
    "CREATE INDEX applications_by_fin ON applications (fin, status);"
static const char v11_sqlite[] =
    V11_APPLICATIONS("id INTEGER PRIMARY KEY", "BLOB")
    "CREATE TABLE cases_v11 (id INTEGER PRIMARY KEY,"
    " enrolment_id INTEGER UNIQUE REFERENCES enrolments(id),"
    " application_id INTEGER UNIQUE REFERENCES applications(id),"
    " status TEXT NOT NULL CHECK (status IN ('open', 'decided')), candidates TEXT NOT NULL,"
    " opened_at TEXT NOT NULL, decision TEXT CHECK (decision IN ('same', 'different')),"
    " decided_at TEXT, decided_by TEXT, note TEXT,"
    " CHECK ((enrolment_id IS NULL) <> (application_id IS NULL)));"
    "INSERT INTO cases_v11 (id, enrolment_id, status, candidates, opened_at, decision,"
    " decided_at, decided_by, note) SELECT id, enrolment_id, status, candidates, opened_at,"
    " decision, decided_at, decided_by, note FROM cases;"
    "DROP TABLE cases;"
    "ALTER TABLE cases_v11 RENAME TO cases;"
    "CREATE TRIGGER cases_decide_once BEFORE UPDATE OF status ON cases"
    " WHEN OLD.status = 'decided'"
    " BEGIN SELECT RAISE(ABORT, 'a case is decided once'); END;"
    "CREATE TRIGGER applications_issue_once BEFORE UPDATE OF document ON applications"
    " WHEN OLD.document IS NOT NULL"
    " BEGIN SELECT RAISE(ABORT, 'a cleared application issues one document'); END;";

/* ---- PostgreSQL dialect: the same tables, constraints and refusals. INTEGER becomes
 * BIGINT (SQLite integers are 64-bit), row ids become identity columns, BLOB becomes BYTEA,
 * and each SQLite RAISE(ABORT) trigger becomes a row trigger calling eyni_refuse, which
 * raises the message given (mapped to ECONFLICT like any other refused change). Tables
 * kept forever also refuse TRUNCATE, which bypasses row triggers. */
#define PG_KEEP(table, what, msg)                                                           \
    "CREATE TRIGGER " table "_keep_" what " BEFORE " what " ON " table                      \
    " FOR EACH ROW EXECUTE FUNCTION eyni_refuse('" msg "');"
#define PG_NO_TRUNCATE(table, msg)                                                          \
    "CREATE TRIGGER " table "_keep_truncate BEFORE TRUNCATE ON " table                      \
    " FOR EACH STATEMENT EXECUTE FUNCTION eyni_refuse('" msg "');"
#define PG_ID "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"

/* Nodes holding gallery shards: each eynid with gallery.shards > 1 registers the address
 * its peers call, the shards it holds and a heartbeat (milliseconds since the epoch). */
static const char v13_sqlite[] =
    "CREATE TABLE nodes ("
    " url TEXT PRIMARY KEY CHECK (url LIKE 'http://%' OR url LIKE 'https://%'),"
    " shard_count INTEGER NOT NULL CHECK (shard_count BETWEEN 1 AND 1024),"
    " shards TEXT NOT NULL CHECK (length(shards) BETWEEN 1 AND 4096),"
    " started_at TEXT NOT NULL, beat_ms INTEGER NOT NULL CHECK (beat_ms > 0));";

static const char v1_postgresql[] =
    "CREATE FUNCTION eyni_refuse() RETURNS trigger LANGUAGE plpgsql AS"
    " $$BEGIN RAISE EXCEPTION '%', TG_ARGV[0]; END$$;"
    /* instr() as SQLite has it, so callers' SQL stays the same on both engines. */
    "CREATE FUNCTION instr(haystack TEXT, needle TEXT) RETURNS INTEGER LANGUAGE sql"
    " IMMUTABLE STRICT AS $$SELECT strpos(haystack, needle)$$;"
    "CREATE TABLE fins (fin TEXT PRIMARY KEY, issued_at TEXT NOT NULL);"
    "CREATE TABLE persons (" PG_ID ","
    " fin TEXT NOT NULL UNIQUE REFERENCES fins(fin),"
    " version BIGINT NOT NULL CHECK (version >= 1),"
    " surname_key TEXT NOT NULL, given_name_key TEXT NOT NULL, birth_date TEXT NOT NULL,"
    " record TEXT NOT NULL,"
    " created_at TEXT NOT NULL, updated_at TEXT NOT NULL);"
    "CREATE INDEX persons_by_name ON persons (surname_key, given_name_key, birth_date);"
    "CREATE TABLE person_versions ("
    " person_id BIGINT NOT NULL REFERENCES persons(id),"
    " version BIGINT NOT NULL,"
    " record TEXT NOT NULL,"
    " changed_at TEXT NOT NULL, changed_by TEXT NOT NULL, agency TEXT NOT NULL,"
    " reason TEXT NOT NULL,"
    " PRIMARY KEY (person_id, version));"
    PG_KEEP("person_versions", "UPDATE", "person history is append-only")
    PG_KEEP("person_versions", "DELETE", "person history is append-only")
    PG_NO_TRUNCATE("person_versions", "person history is append-only")
    "CREATE TRIGGER fins_keep BEFORE DELETE ON fins"
    " FOR EACH ROW EXECUTE FUNCTION eyni_refuse('a FIN is never reused');"
    PG_NO_TRUNCATE("fins", "a FIN is never reused")
    "CREATE TABLE api_keys ("
    " id TEXT PRIMARY KEY, secret_hash BYTEA NOT NULL, agency TEXT NOT NULL, role TEXT NOT NULL,"
    " label TEXT, created_at TEXT NOT NULL, created_by TEXT NOT NULL, revoked_at TEXT);"
    "CREATE TABLE audit (" PG_ID ", at TEXT NOT NULL, actor TEXT NOT NULL, agency TEXT NOT NULL,"
    " role TEXT NOT NULL, action TEXT NOT NULL, object TEXT, purpose TEXT,"
    " outcome TEXT NOT NULL, origin TEXT, detail TEXT,"
    " prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
    "CREATE INDEX audit_by_object ON audit (object);"
    "CREATE INDEX audit_by_actor ON audit (actor);"
    PG_KEEP("audit", "UPDATE", "audit is append-only")
    PG_KEEP("audit", "DELETE", "audit is append-only")
    PG_NO_TRUNCATE("audit", "audit is append-only");

static const char v2_postgresql[] =
    "CREATE TABLE offices (code TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL,"
    " created_at TEXT NOT NULL);"
    "CREATE TABLE blank_batches (" PG_ID ", doc_type TEXT NOT NULL,"
    " first_serial TEXT NOT NULL, last_serial TEXT NOT NULL, count BIGINT NOT NULL,"
    " office TEXT NOT NULL REFERENCES offices(code), printer TEXT, reference TEXT,"
    " received_at TEXT NOT NULL, received_by TEXT NOT NULL);"
    "CREATE TABLE blank_transfers (" PG_ID ","
    " from_office TEXT NOT NULL REFERENCES offices(code),"
    " to_office TEXT NOT NULL REFERENCES offices(code), count BIGINT NOT NULL,"
    " state TEXT NOT NULL CHECK (state IN ('in_transit', 'received')),"
    " sent_at TEXT NOT NULL, sent_by TEXT NOT NULL, received_at TEXT, received_by TEXT,"
    " reference TEXT);"
    "CREATE TABLE blanks (serial TEXT PRIMARY KEY,"
    " batch_id BIGINT NOT NULL REFERENCES blank_batches(id), doc_type TEXT NOT NULL,"
    " office TEXT NOT NULL REFERENCES offices(code),"
    " state TEXT NOT NULL CHECK (state IN ('in_stock', 'in_transit', 'personalised', 'issued',"
    "  'spoiled', 'destroyed', 'lost', 'stolen')),"
    " transfer_id BIGINT REFERENCES blank_transfers(id), document_number TEXT UNIQUE,"
    " updated_at TEXT NOT NULL);"
    "CREATE INDEX blanks_by_office ON blanks (office, doc_type, state, serial);"
    "CREATE INDEX blanks_by_transfer ON blanks (transfer_id);"
    "CREATE TRIGGER blanks_moves BEFORE UPDATE OF state ON blanks FOR EACH ROW"
    " WHEN (NEW.state <> OLD.state AND (OLD.state || '>' || NEW.state) NOT IN ("
    "  'in_stock>in_transit', 'in_transit>in_stock', 'in_stock>personalised',"
    "  'personalised>issued', 'personalised>spoiled', 'in_stock>spoiled', 'spoiled>destroyed',"
    "  'in_stock>lost', 'in_stock>stolen', 'in_transit>lost', 'in_transit>stolen',"
    "  'personalised>lost', 'personalised>stolen'))"
    " EXECUTE FUNCTION eyni_refuse('blank state change not allowed');"
    "CREATE TRIGGER blanks_personalised_once BEFORE UPDATE OF document_number ON blanks"
    " FOR EACH ROW WHEN (OLD.document_number IS NOT NULL"
    "  AND (NEW.document_number IS NULL OR NEW.document_number <> OLD.document_number))"
    " EXECUTE FUNCTION eyni_refuse('a blank is personalised once');"
    "CREATE TRIGGER blanks_personalised_has_number BEFORE UPDATE OF state ON blanks"
    " FOR EACH ROW WHEN (NEW.state = 'personalised' AND NEW.document_number IS NULL)"
    " EXECUTE FUNCTION eyni_refuse('a personalised blank needs its document number');"
    "CREATE TRIGGER blanks_keep BEFORE DELETE ON blanks"
    " FOR EACH ROW EXECUTE FUNCTION eyni_refuse('blanks are never deleted');"
    PG_NO_TRUNCATE("blanks", "blanks are never deleted")
    "CREATE TABLE blank_events (" PG_ID ","
    " serial TEXT NOT NULL REFERENCES blanks(serial), at TEXT NOT NULL, from_state TEXT,"
    " to_state TEXT NOT NULL, office TEXT NOT NULL, actor TEXT NOT NULL, reason TEXT);"
    "CREATE INDEX blank_events_by_office ON blank_events (office, at);"
    "CREATE INDEX blank_events_by_serial ON blank_events (serial);"
    PG_KEEP("blank_events", "UPDATE", "blank history is append-only")
    PG_KEEP("blank_events", "DELETE", "blank history is append-only")
    PG_NO_TRUNCATE("blank_events", "blank history is append-only")
    "CREATE TABLE blank_alerts (" PG_ID ", at TEXT NOT NULL, serial TEXT,"
    " office TEXT, kind TEXT NOT NULL, detail TEXT);";

static const char v3_postgresql[] =
    "CREATE TABLE watchlists (" PG_ID ", code TEXT NOT NULL UNIQUE,"
    " name TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('person', 'vehicle', 'document')),"
    " owner_agency TEXT NOT NULL, visible_to TEXT NOT NULL, legal_basis TEXT NOT NULL,"
    " handling TEXT, valid_from TEXT NOT NULL, valid_to TEXT,"
    " created_at TEXT NOT NULL, created_by TEXT NOT NULL);"
    "CREATE TABLE watch_entries (" PG_ID ","
    " list_id BIGINT NOT NULL REFERENCES watchlists(id), kind TEXT NOT NULL,"
    " key1 TEXT NOT NULL, key2 TEXT, birth_date TEXT, fin TEXT, nationality TEXT,"
    " record TEXT NOT NULL, reason TEXT NOT NULL,"
    " added_at TEXT NOT NULL, added_by TEXT NOT NULL,"
    " removed_at TEXT, removed_by TEXT, removed_reason TEXT);"
    "CREATE INDEX watch_entries_by_key ON watch_entries (kind, key1);"
    "CREATE INDEX watch_entries_by_fin ON watch_entries (fin);"
    "CREATE TRIGGER watch_entries_keep BEFORE DELETE ON watch_entries FOR EACH ROW"
    " EXECUTE FUNCTION eyni_refuse('watchlist entries are removed, never deleted');"
    PG_NO_TRUNCATE("watch_entries", "watchlist entries are removed, never deleted")
    "CREATE TABLE bans (" PG_ID ", fin TEXT, surname TEXT NOT NULL,"
    " given_name TEXT NOT NULL, surname_key TEXT NOT NULL, given_key TEXT NOT NULL,"
    " birth_date TEXT, nationality TEXT,"
    " direction TEXT NOT NULL CHECK (direction IN ('entry', 'exit', 'both')),"
    " starts TEXT NOT NULL, ends TEXT, legal_basis TEXT NOT NULL, authority TEXT NOT NULL,"
    " created_at TEXT NOT NULL, created_by TEXT NOT NULL,"
    " lifted_at TEXT, lifted_by TEXT, lift_reason TEXT);"
    "CREATE INDEX bans_by_fin ON bans (fin);"
    "CREATE TRIGGER bans_keep BEFORE DELETE ON bans FOR EACH ROW"
    " EXECUTE FUNCTION eyni_refuse('bans are lifted, never deleted');"
    PG_NO_TRUNCATE("bans", "bans are lifted, never deleted");

/* The gallery change log also wakes every node listening on channel eyni_gallery; the
 * notification is delivered at commit, so a woken node finds the rows. Rows get their ids
 * under the write lock every writer holds, so ids grow in commit order and a node that
 * replays "id > last seen" never skips a row committed late. */
static const char v4_postgresql[] =
    "CREATE TABLE biometrics (" PG_ID ","
    " person_id BIGINT NOT NULL REFERENCES persons(id),"
    " modality TEXT NOT NULL CHECK (modality IN ('face', 'finger', 'voice', 'dna')),"
    " position BIGINT NOT NULL, template BYTEA NOT NULL, image BYTEA, quality BIGINT,"
    " engine TEXT NOT NULL, created_at TEXT NOT NULL, created_by TEXT NOT NULL,"
    " replaced_at TEXT);"
    "CREATE INDEX biometrics_by_person ON biometrics (person_id, modality, position);"
    "CREATE TABLE enrolments (" PG_ID ","
    " status TEXT NOT NULL CHECK (status IN ('unique', 'duplicate', 'possible', 'same',"
    "  'different')),"
    " fin TEXT, duplicate_of TEXT, pending BYTEA, result TEXT NOT NULL,"
    " created_at TEXT NOT NULL, created_by TEXT NOT NULL, agency TEXT NOT NULL,"
    " decided_at TEXT);"
    "CREATE TABLE cases (" PG_ID ","
    " enrolment_id BIGINT NOT NULL UNIQUE REFERENCES enrolments(id),"
    " status TEXT NOT NULL CHECK (status IN ('open', 'decided')), candidates TEXT NOT NULL,"
    " opened_at TEXT NOT NULL, decision TEXT CHECK (decision IN ('same', 'different')),"
    " decided_at TEXT, decided_by TEXT, note TEXT);"
    "CREATE TRIGGER cases_decide_once BEFORE UPDATE OF status ON cases FOR EACH ROW"
    " WHEN (OLD.status = 'decided') EXECUTE FUNCTION eyni_refuse('a case is decided once');"
    "CREATE TABLE gallery_changes (" PG_ID ", at TEXT NOT NULL,"
    " op TEXT NOT NULL CHECK (op IN ('add', 'remove')),"
    " biometric_id BIGINT NOT NULL REFERENCES biometrics(id));"
    "CREATE FUNCTION gallery_changes_notify() RETURNS trigger LANGUAGE plpgsql AS"
    " $$BEGIN PERFORM pg_notify('eyni_gallery', ''); RETURN NULL; END$$;"
    "CREATE TRIGGER gallery_changes_wake AFTER INSERT ON gallery_changes"
    " FOR EACH STATEMENT EXECUTE FUNCTION gallery_changes_notify();";

static const char v5_postgresql[] =
    "CREATE TABLE documents (" PG_ID ", number TEXT NOT NULL UNIQUE,"
    " type TEXT NOT NULL, person_id BIGINT NOT NULL REFERENCES persons(id), fin TEXT NOT NULL,"
    " office TEXT NOT NULL REFERENCES offices(code),"
    " blank_serial TEXT UNIQUE REFERENCES blanks(serial), issuing_state TEXT NOT NULL,"
    " mrz TEXT, issued_on TEXT NOT NULL, expires_on TEXT NOT NULL,"
    " status TEXT NOT NULL CHECK (status IN ('issued', 'handed_over', 'expired', 'revoked',"
    "  'lost', 'stolen')),"
    " status_at TEXT NOT NULL, chip_dir TEXT, created_by TEXT NOT NULL);"
    "CREATE INDEX documents_by_person ON documents (person_id, type, status);"
    "CREATE TRIGGER documents_moves BEFORE UPDATE OF status ON documents FOR EACH ROW"
    " WHEN (NEW.status <> OLD.status AND (OLD.status || '>' || NEW.status) NOT IN ("
    "  'issued>handed_over', 'issued>revoked', 'issued>lost', 'issued>stolen',"
    "  'handed_over>expired', 'handed_over>revoked', 'handed_over>lost', 'handed_over>stolen',"
    "  'expired>lost', 'expired>stolen'))"
    " EXECUTE FUNCTION eyni_refuse('document status change not allowed');"
    "CREATE TRIGGER documents_keep BEFORE DELETE ON documents FOR EACH ROW"
    " EXECUTE FUNCTION eyni_refuse('documents are never deleted');"
    PG_NO_TRUNCATE("documents", "documents are never deleted")
    "CREATE TABLE document_events (" PG_ID ","
    " document_id BIGINT NOT NULL REFERENCES documents(id), at TEXT NOT NULL,"
    " from_status TEXT, to_status TEXT NOT NULL, actor TEXT NOT NULL, reason TEXT);"
    "CREATE TABLE document_sequences (type TEXT PRIMARY KEY, next BIGINT NOT NULL);";

static const char v6_postgresql[] =
    "CREATE TABLE crossings (" PG_ID ", request_id TEXT UNIQUE, at TEXT NOT NULL,"
    " day TEXT NOT NULL, checkpoint TEXT NOT NULL,"
    " direction TEXT NOT NULL CHECK (direction IN ('entry', 'exit')),"
    " officer TEXT NOT NULL, agency TEXT NOT NULL, document_number TEXT, issuing_state TEXT,"
    " nationality TEXT, fin TEXT, surname TEXT, given_name TEXT, birth_date TEXT, plate TEXT,"
    " decision TEXT NOT NULL CHECK (decision IN ('clear', 'refer', 'deny')),"
    " result TEXT NOT NULL);"
    "CREATE INDEX crossings_by_fin ON crossings (fin, at);"
    "CREATE INDEX crossings_by_document ON crossings (document_number, at);"
    "CREATE INDEX crossings_by_checkpoint ON crossings (checkpoint, day);"
    PG_KEEP("crossings", "UPDATE", "crossing records are kept as made")
    PG_KEEP("crossings", "DELETE", "crossing records are kept as made")
    PG_NO_TRUNCATE("crossings", "crossing records are kept as made");

/* DNA profiles: as v7_sqlite. */
static const char v7_postgresql[] =
    "CREATE TABLE dna_profiles (" PG_ID ","
    " kind TEXT NOT NULL CHECK (kind IN ('reference', 'forensic')),"
    " sample_id TEXT NOT NULL, person_id BIGINT REFERENCES persons(id),"
    " case_id TEXT, scene TEXT, collected_on TEXT, agency TEXT NOT NULL, population TEXT,"
    " loci BIGINT NOT NULL CHECK (loci >= 1), profile BYTEA NOT NULL,"
    " status TEXT NOT NULL CHECK (status IN ('active', 'removed')),"
    " created_at TEXT NOT NULL, created_by TEXT NOT NULL,"
    " removed_at TEXT, removed_by TEXT, removed_reason TEXT,"
    " CHECK ((kind = 'reference' AND person_id IS NOT NULL AND case_id IS NULL"
    "   AND scene IS NULL)"
    "  OR (kind = 'forensic' AND person_id IS NULL AND case_id IS NOT NULL)),"
    " CHECK ((status = 'active' AND removed_at IS NULL)"
    "  OR (status = 'removed' AND removed_at IS NOT NULL AND removed_by IS NOT NULL)));"
    "CREATE UNIQUE INDEX dna_profiles_active ON dna_profiles (kind, sample_id)"
    " WHERE status = 'active';"
    "CREATE INDEX dna_profiles_by_case ON dna_profiles (case_id);"
    PG_KEEP("dna_profiles", "DELETE", "DNA profiles are removed, never deleted")
    PG_NO_TRUNCATE("dna_profiles", "DNA profiles are removed, never deleted")
    "CREATE TRIGGER dna_profiles_fixed BEFORE UPDATE OF id, kind, sample_id, person_id, case_id,"
    " profile, created_at, created_by ON dna_profiles FOR EACH ROW"
    " EXECUTE FUNCTION eyni_refuse('a stored DNA profile is never altered');"
    "CREATE TRIGGER dna_profiles_remove_once BEFORE UPDATE OF status ON dna_profiles"
    " FOR EACH ROW WHEN (OLD.status = 'removed')"
    " EXECUTE FUNCTION eyni_refuse('a removed DNA profile stays removed');"
    "CREATE TABLE dna_changes (" PG_ID ", at TEXT NOT NULL,"
    " op TEXT NOT NULL CHECK (op IN ('add', 'remove')),"
    " profile_id BIGINT NOT NULL REFERENCES dna_profiles(id));"
    PG_KEEP("dna_changes", "UPDATE", "the DNA change log is append-only")
    PG_KEEP("dna_changes", "DELETE", "the DNA change log is append-only")
    PG_NO_TRUNCATE("dna_changes", "the DNA change log is append-only");

/* Visas, residence registrations, watchlist biometrics: as v9_sqlite. */
static const char v9_postgresql[] =
    "CREATE TABLE visas (" PG_ID ", number TEXT NOT NULL UNIQUE,"
    " type TEXT NOT NULL CHECK (type IN ('A', 'C', 'D')),"
    " format TEXT NOT NULL CHECK (format IN ('MRV-A', 'MRV-B')),"
    " passport_number TEXT NOT NULL, nationality TEXT NOT NULL, surname TEXT NOT NULL,"
    " given_name TEXT NOT NULL, birth_date TEXT NOT NULL, sex TEXT NOT NULL,"
    " valid_from TEXT NOT NULL, valid_until TEXT NOT NULL CHECK (valid_until >= valid_from),"
    " entries BIGINT NOT NULL CHECK (entries >= 0), stay_days BIGINT NOT NULL"
    "  CHECK (stay_days > 0), mrz TEXT NOT NULL,"
    " status TEXT NOT NULL CHECK (status IN ('valid', 'revoked')),"
    " created_at TEXT NOT NULL, created_by TEXT NOT NULL, agency TEXT NOT NULL);"
    "CREATE INDEX visas_by_passport ON visas (passport_number, nationality);"
    PG_KEEP("visas", "DELETE", "visas are revoked, never deleted")
    PG_NO_TRUNCATE("visas", "visas are revoked, never deleted")
    "CREATE TABLE residences (" PG_ID ","
    " kind TEXT NOT NULL CHECK (kind IN ('citizen', 'permit')), fin TEXT,"
    " document_number TEXT, nationality TEXT NOT NULL, surname TEXT, given_name TEXT,"
    " address TEXT NOT NULL, since TEXT NOT NULL, until TEXT,"
    " created_at TEXT NOT NULL, created_by TEXT NOT NULL, agency TEXT NOT NULL,"
    " CHECK (until IS NULL OR until >= since),"
    " CHECK (kind = 'citizen' OR (document_number IS NOT NULL AND until IS NOT NULL)));"
    "CREATE INDEX residences_by_document ON residences (document_number, nationality);"
    "CREATE INDEX residences_by_fin ON residences (fin);"
    PG_KEEP("residences", "DELETE", "residence registrations are kept")
    PG_NO_TRUNCATE("residences", "residence registrations are kept")
    "CREATE TABLE watch_biometrics (" PG_ID ","
    " entry_id BIGINT NOT NULL REFERENCES watch_entries(id),"
    " modality TEXT NOT NULL CHECK (modality IN ('face', 'finger')),"
    " position BIGINT NOT NULL, template BYTEA NOT NULL, image BYTEA,"
    " created_at TEXT NOT NULL, created_by TEXT NOT NULL);"
    "CREATE INDEX watch_biometrics_by_entry ON watch_biometrics (entry_id);";

/* Video cameras, wanted faces and alerts: as v10_sqlite (REAL there is a double). */
static const char v10_postgresql[] =
    "CREATE TABLE video_cameras (" PG_ID ", name TEXT NOT NULL UNIQUE,"
    " url TEXT NOT NULL, sample_fps DOUBLE PRECISION NOT NULL, created_at TEXT NOT NULL,"
    " created_by TEXT NOT NULL);"
    "CREATE TABLE video_wanted (" PG_ID ", label TEXT NOT NULL, fin TEXT,"
    " reason TEXT NOT NULL, template BYTEA NOT NULL, added_at TEXT NOT NULL,"
    " added_by TEXT NOT NULL);"
    "CREATE TABLE video_alerts (" PG_ID ", camera TEXT NOT NULL,"
    " track BIGINT NOT NULL, wanted_id BIGINT NOT NULL, label TEXT NOT NULL,"
    " score DOUBLE PRECISION NOT NULL, fmr DOUBLE PRECISION NOT NULL,"
    " stream_time DOUBLE PRECISION NOT NULL, seen_at TEXT NOT NULL, snapshot BYTEA,"
    " decision TEXT NOT NULL DEFAULT 'open'"
    " CHECK (decision IN ('open', 'acknowledged', 'dismissed')),"
    " decided_by TEXT, decided_at TEXT, note TEXT);"
    "CREATE INDEX video_alerts_by_time ON video_alerts (seen_at);";

static const char v11_postgresql[] =
    V11_APPLICATIONS(PG_ID, "BYTEA")
    "ALTER TABLE cases ALTER COLUMN enrolment_id DROP NOT NULL;"
    "ALTER TABLE cases ADD COLUMN application_id BIGINT UNIQUE REFERENCES applications(id);"
    "ALTER TABLE cases ADD CONSTRAINT cases_one_subject"
    " CHECK ((enrolment_id IS NULL) <> (application_id IS NULL));"
    "CREATE TRIGGER applications_issue_once BEFORE UPDATE OF document ON applications"
    " FOR EACH ROW WHEN (OLD.document IS NOT NULL)"
    " EXECUTE FUNCTION eyni_refuse('a cleared application issues one document');";

/* Live statistics of each running camera, written by the video service every poll: frames
 * decoded, analysed and dropped, connections, outages and their time, tracks, alerts. A
 * camera's row goes with the camera; its alerts (the archive) stay. */
#define V12_STATS(id_type, real_type)                                                       \
    "CREATE TABLE video_camera_stats (camera_id " id_type " PRIMARY KEY"                    \
    " REFERENCES video_cameras(id) ON DELETE CASCADE, updated_at TEXT NOT NULL,"            \
    " running INTEGER NOT NULL CHECK (running IN (0, 1)),"                                  \
    " connected INTEGER NOT NULL CHECK (connected IN (0, 1)),"                              \
    " decoded " id_type " NOT NULL CHECK (decoded >= 0),"                                   \
    " analysed " id_type " NOT NULL CHECK (analysed >= 0),"                                 \
    " dropped " id_type " NOT NULL CHECK (dropped >= 0),"                                   \
    " connects " id_type " NOT NULL CHECK (connects >= 0),"                                 \
    " outages " id_type " NOT NULL CHECK (outages >= 0),"                                   \
    " outage_seconds " real_type " NOT NULL CHECK (outage_seconds >= 0),"                   \
    " tracks " id_type " NOT NULL CHECK (tracks >= 0),"                                     \
    " alerts " id_type " NOT NULL CHECK (alerts >= 0), last_error TEXT);"
static const char v12_sqlite[] = V12_STATS("INTEGER", "REAL");
static const char v12_postgresql[] = V12_STATS("BIGINT", "DOUBLE PRECISION");
static const char v13_postgresql[] =
    "CREATE TABLE nodes ("
    " url TEXT PRIMARY KEY CHECK (url LIKE 'http://%' OR url LIKE 'https://%'),"
    " shard_count BIGINT NOT NULL CHECK (shard_count BETWEEN 1 AND 1024),"
    " shards TEXT NOT NULL CHECK (length(shards) BETWEEN 1 AND 4096),"
    " started_at TEXT NOT NULL, beat_ms BIGINT NOT NULL CHECK (beat_ms > 0));";

/* Biometric re-capture and legal erasure (docs/identity.md): a replaced or erased sample
 * keeps its row as a tombstone with who removed it and why; an erased one has its sealed
 * template emptied and its image dropped. A tombstone never comes back and is never
 * deleted (the change log points at it). */
#define V14_COLUMNS                                                                         \
    "ALTER TABLE biometrics ADD COLUMN removed_by TEXT;"                                    \
    "ALTER TABLE biometrics ADD COLUMN removed_reason TEXT;"                                \
    "ALTER TABLE biometrics ADD COLUMN erased_at TEXT;"
static const char v14_sqlite[] =
    V14_COLUMNS
    "CREATE TRIGGER biometrics_erased_stays BEFORE UPDATE ON biometrics"
    " WHEN OLD.erased_at IS NOT NULL"
    " BEGIN SELECT RAISE(ABORT, 'an erased biometric sample stays erased'); END;"
    "CREATE TRIGGER biometrics_replaced_stays BEFORE UPDATE ON biometrics"
    " WHEN OLD.replaced_at IS NOT NULL AND NEW.replaced_at IS NULL"
    " BEGIN SELECT RAISE(ABORT, 'a replaced biometric sample is never put back'); END;"
    "CREATE TRIGGER biometrics_erase_clears BEFORE UPDATE ON biometrics"
    " WHEN NEW.erased_at IS NOT NULL AND (length(NEW.template) > 0 OR NEW.image IS NOT NULL"
    "  OR NEW.replaced_at IS NULL OR NEW.removed_by IS NULL OR NEW.removed_reason IS NULL)"
    " BEGIN SELECT RAISE(ABORT, 'an erased sample keeps no template or image, and says who"
    " erased it and why'); END;"
    "CREATE TRIGGER biometrics_keep BEFORE DELETE ON biometrics"
    " BEGIN SELECT RAISE(ABORT, 'biometric samples are erased, never deleted'); END;";
static const char v14_postgresql[] =
    V14_COLUMNS
    "CREATE TRIGGER biometrics_erased_stays BEFORE UPDATE ON biometrics FOR EACH ROW"
    " WHEN (OLD.erased_at IS NOT NULL)"
    " EXECUTE FUNCTION eyni_refuse('an erased biometric sample stays erased');"
    "CREATE TRIGGER biometrics_replaced_stays BEFORE UPDATE ON biometrics FOR EACH ROW"
    " WHEN (OLD.replaced_at IS NOT NULL AND NEW.replaced_at IS NULL)"
    " EXECUTE FUNCTION eyni_refuse('a replaced biometric sample is never put back');"
    "CREATE TRIGGER biometrics_erase_clears BEFORE UPDATE ON biometrics FOR EACH ROW"
    " WHEN (NEW.erased_at IS NOT NULL AND (length(NEW.template) > 0 OR NEW.image IS NOT NULL"
    "  OR NEW.replaced_at IS NULL OR NEW.removed_by IS NULL OR NEW.removed_reason IS NULL))"
    " EXECUTE FUNCTION eyni_refuse('an erased sample keeps no template or image, and says who"
    " erased it and why');"
    PG_KEEP("biometrics", "DELETE", "biometric samples are erased, never deleted")
    PG_NO_TRUNCATE("biometrics", "biometric samples are erased, never deleted");

/* Video alerts keep the score they were raised on: the cohort-normalised score (NULL for an
 * alert on the raw score, without a cohort) and the threshold in force then (in the same
 * scale), so that a reviewer sees how far above the operating point each alert was. Alerts
 * stored earlier keep NULL in both. */
#define V15_COLUMNS(real_type)                                                              \
    "ALTER TABLE video_alerts ADD COLUMN norm " real_type ";"                               \
    "ALTER TABLE video_alerts ADD COLUMN threshold " real_type ";"
static const char v15_sqlite[] = V15_COLUMNS("REAL");
static const char v15_postgresql[] = V15_COLUMNS("DOUBLE PRECISION");

/* A wanted face is removed when its warrant ends: the row stays for the record (who added
 * it, who removed it, when and why) and the sealed templates are emptied, so nothing
 * biometric outlives the legal reason. */
#define V16_COLUMNS                                                                         \
    "ALTER TABLE video_wanted ADD COLUMN removed_at TEXT;"                                  \
    "ALTER TABLE video_wanted ADD COLUMN removed_by TEXT;"                                  \
    "ALTER TABLE video_wanted ADD COLUMN removal_reason TEXT;"
static const char v16_sqlite[] = V16_COLUMNS;
static const char v16_postgresql[] = V16_COLUMNS;

/* An operator may dismiss an alert as a look-alike: the face is not the wanted person and
 * should not be alerted for that person again. The alert keeps the sealed template of the
 * shot that matched (probe) so that the running cameras can remember the face; it goes with
 * the alert when the retention period ends. Alerts stored earlier have no probe and cannot be
 * remembered. */
#define V17_COLUMNS(blob_type)                                                              \
    "ALTER TABLE video_alerts ADD COLUMN probe " blob_type ";"                              \
    "ALTER TABLE video_alerts ADD COLUMN lookalike INTEGER NOT NULL DEFAULT 0"              \
    " CHECK (lookalike IN (0, 1));"
static const char v17_sqlite[] = V17_COLUMNS("BLOB");
static const char v17_postgresql[] = V17_COLUMNS("BYTEA");

/* A camera's stream address may carry its password (rtsp://user:pass@host/...): url keeps it
 * masked (user:***) for every reader, url_sealed the whole address sealed with the data
 * keyring, opened only by the video service to connect. Addresses stored earlier are sealed
 * by the service when it starts (eyni_desk_camera_seal_urls). */
static const char v18_sqlite[] = "ALTER TABLE video_cameras ADD COLUMN url_sealed BLOB;";
static const char v18_postgresql[] = "ALTER TABLE video_cameras ADD COLUMN url_sealed BYTEA;";

/* A match a look-alike held back is not an alert, but it is kept (without a picture: it is
 * most often the passer-by who is not wanted) so that the desk can see how often each
 * look-alike silences a wanted person, and find one that silences the person himself. Purged
 * with the alerts after the retention period. */
#define V19_TABLE(id)                                                                       \
    "CREATE TABLE video_held (" id ", lookalike_alert BIGINT NOT NULL, camera TEXT NOT NULL," \
    " track BIGINT NOT NULL, wanted_id BIGINT NOT NULL, score DOUBLE PRECISION NOT NULL,"   \
    " lookalike_score DOUBLE PRECISION NOT NULL, seen_at TEXT NOT NULL);"                   \
    "CREATE INDEX video_held_by_alert ON video_held (lookalike_alert);"                     \
    "CREATE INDEX video_held_by_time ON video_held (seen_at);"
static const char v19_sqlite[] = V19_TABLE("id INTEGER PRIMARY KEY");
static const char v19_postgresql[] = V19_TABLE(PG_ID);

static const eyni_migration migrations[] = {
    {1, "persons, versions, FINs, keys, audit", v1_sqlite, v1_postgresql},
    {2, "offices and blank stock", v2_sqlite, v2_postgresql},
    {3, "watchlists and bans", v3_sqlite, v3_postgresql},
    {4, "biometrics, enrolments, adjudication cases, gallery change log", v4_sqlite, v4_postgresql},
    {5, "documents and their life cycle", v5_sqlite, v5_postgresql},
    {6, "border crossings", v6_sqlite, v6_postgresql},
    {7, "DNA profiles (reference and forensic) and their change log", v7_sqlite, v7_postgresql},
    {9, "visas, residence registrations, watchlist biometrics", v9_sqlite, v9_postgresql},
    {10, "video cameras, wanted faces, alerts", v10_sqlite, v10_postgresql},
    {11, "document applications and their adjudication cases", v11_sqlite, v11_postgresql},
    {12, "video camera statistics", v12_sqlite, v12_postgresql},
    {13, "nodes holding gallery shards", v13_sqlite, v13_postgresql},
    {14, "biometric re-capture and erasure tombstones", v14_sqlite, v14_postgresql},
    {15, "normalised score and threshold of video alerts", v15_sqlite, v15_postgresql},
    {16, "removal of wanted faces", v16_sqlite, v16_postgresql},
    {17, "look-alikes dismissed at the video desk", v17_sqlite, v17_postgresql},
    {18, "camera addresses with a password sealed", v18_sqlite, v18_postgresql},
    {19, "matches held back by look-alikes", v19_sqlite, v19_postgresql},
};

const eyni_migration *reg_migrations(int *n)
{
    *n = (int)(sizeof migrations / sizeof migrations[0]);
    return migrations;
}
