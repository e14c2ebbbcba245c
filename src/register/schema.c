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

static const eyni_migration migrations[] = {
    {1, "persons, versions, FINs, keys, audit", v1_sqlite, NULL},
};

const eyni_migration *reg_migrations(int *n)
{
    *n = (int)(sizeof migrations / sizeof migrations[0]);
    return migrations;
}
