# Imported by pgward import from database "golden" on PostgreSQL <version>,
# connected as postgres, at 2026-01-02T03:04:05Z.
#
# Against the database it was imported from, pgward plan shows no changes.
# Review it, then tighten it.
#
# What this policy leaves out or cannot reproduce:
# - app owns 1 schema, 3 tables in scope. An owner's privileges on its own
#   objects are never managed, so they are not in this policy.

locals {
  insert_update_delete = ["INSERT", "UPDATE", "DELETE"]
}

scope {
  schemas = ["app"]
}

role "app" {
  login            = false
  inherit          = true
  createdb         = false
  createrole       = false
  replication      = false
  bypassrls        = false
  connection_limit = -1
}

role "ops" {
  login            = true
  inherit          = true
  createdb         = true
  createrole       = false
  replication      = false
  bypassrls        = false
  connection_limit = -1
  valid_until      = "2030-06-30T00:00:00Z"

  member_of "pg_read_all_stats" {
    inherit = true
    set     = true
  }

  member_of "readers" {
    inherit = false
    set     = true
    admin   = true
  }
}

role "readers" {
  login            = false
  inherit          = true
  createdb         = false
  createrole       = false
  replication      = false
  bypassrls        = false
  connection_limit = -1

  grant "schema" {
    privileges = ["USAGE"]
  }

  grant "table" {
    schema     = "app"
    privileges = ["SELECT"]
  }

  default_privileges "table" {
    for_role   = "app"
    schema     = "app"
    privileges = ["SELECT"]
  }
}

role "web" {
  login            = true
  inherit          = false
  createdb         = false
  createrole       = false
  replication      = false
  bypassrls        = false
  connection_limit = 20

  member_of "writers" {
    inherit = true
    set     = false
  }
}

role "writers" {
  login            = false
  inherit          = true
  createdb         = false
  createrole       = false
  replication      = false
  bypassrls        = false
  connection_limit = -1

  member_of "readers" {
    inherit = true
    set     = true
  }

  grant "schema" {
    privileges = ["USAGE"]
  }

  grant "table" {
    schema     = "app"
    privileges = local.insert_update_delete
  }

  # These hold other privileges: a name or a pattern beats the rule without
  # names.
  grant "table" {
    schema     = "app"
    names      = ["events"]
    privileges = ["INSERT", "UPDATE"]
  }

  default_privileges "table" {
    for_role   = "app"
    schema     = "app"
    privileges = local.insert_update_delete
  }
}

# What PUBLIC, every role, holds. kind = [...] lists what PUBLIC may keep on
# the objects of a kind where it holds PostgreSQL's defaults (or nothing) on
# each; grant blocks say exactly what it holds on the other kinds (what no
# rule selects is revoked), and default_privileges what it gets on the objects
# a role creates later, where that differs from PostgreSQL's defaults. Kinds
# with no object in scope are left out, so pgward does not manage PUBLIC on
# them.
public {
  database = ["CONNECT", "TEMPORARY"]
  schema   = []
  table    = []
  language = ["USAGE"]
}
