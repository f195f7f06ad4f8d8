# Imported by pgward import from database "golden" on PostgreSQL <version>,
# connected as postgres, at 2026-01-02T03:04:05Z.
#
# Against the database it was imported from, pgward plan shows no changes but
# those the notes below announce. Review it, then tighten it.
#
# What this policy leaves out or cannot reproduce:
# - app owns 2 schemas, 11 tables, 4 sequences, 4 functions, 1 type, 1 large
#   object in scope. An owner's privileges on its own objects are never
#   managed, so they are not in this policy.
# - reporting holds SELECT on table audit.log granted by auditor, not by the
#   owner app. pgward's GRANT records the owner, so plan grants it again as
#   app; the grant by auditor stays until auditor revokes it.

locals {
  dml          = ["SELECT", "INSERT", "UPDATE", "DELETE"]
  select_usage = ["SELECT", "USAGE"]
}

scope {
  schemas = ["app", "audit"]
}

role "app" {
  external         = true
  login            = false
  inherit          = true
  createdb         = false
  createrole       = false
  replication      = false
  bypassrls        = false
  connection_limit = -1
}

role "auditor" {
  external         = true
  login            = false
  inherit          = true
  createdb         = false
  createrole       = false
  replication      = false
  bypassrls        = false
  connection_limit = -1

  grant "schema" {
    names      = ["audit"]
    privileges = ["USAGE"]
  }

  grant "table" {
    schema            = "audit"
    privileges        = ["SELECT"]
    with_grant_option = true
  }

  # These hold other privileges: a name or a pattern beats the rule without
  # names.
  grant "table" {
    schema     = "audit"
    names      = ["log"]
    privileges = ["INSERT"]
  }

  grant "table" {
    schema            = "audit"
    names             = ["log"]
    privileges        = ["SELECT"]
    with_grant_option = true
  }

  default_privileges "function" {
    for_role   = "app"
    privileges = ["EXECUTE"]
  }
}

role "reporting" {
  external         = true
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
    except     = ["accounts"]
    privileges = ["SELECT"]
  }

  # These hold other privileges: a name or a pattern beats the rule without
  # names.
  grant "table" {
    schema            = "app"
    names             = ["report_*"]
    privileges        = ["SELECT"]
    with_grant_option = true
  }

  grant "table" {
    schema     = "app"
    names      = ["accounts"]
    columns    = ["email", "id", "name"]
    privileges = ["SELECT"]
  }

  grant "table" {
    schema     = "audit"
    names      = ["log"]
    privileges = ["SELECT"]
  }

  grant "foreign_server" {
    privileges = ["USAGE"]
  }

  grant "large_object" {
    privileges = ["SELECT"]
  }
}

role "web" {
  external         = true
  login            = false
  inherit          = true
  createdb         = false
  createrole       = false
  replication      = false
  bypassrls        = false
  connection_limit = -1

  grant "schema" {
    names      = ["app"]
    privileges = ["USAGE"]
  }

  grant "table" {
    schema     = "app"
    privileges = local.dml
  }

  # These hold other privileges: a name or a pattern beats the rule without
  # names.
  grant "table" {
    schema     = "app"
    names      = ["schema_migrations"]
    privileges = ["SELECT"]
  }

  default_privileges "table" {
    for_role   = "app"
    schema     = "app"
    privileges = local.dml
  }

  grant "sequence" {
    schema     = "app"
    privileges = local.select_usage
  }

  default_privileges "sequence" {
    for_role   = "app"
    schema     = "app"
    privileges = local.select_usage
  }
}

role "worker" {
  external         = true
  login            = false
  inherit          = true
  createdb         = false
  createrole       = false
  replication      = false
  bypassrls        = false
  connection_limit = -1

  grant "schema" {
    names      = ["app"]
    privileges = ["USAGE"]
  }

  grant "table" {
    schema     = "app"
    names      = ["accounts", "projects"]
    privileges = ["SELECT"]
  }

  grant "table" {
    schema     = "app"
    names      = ["oban_*"]
    privileges = local.dml
  }

  grant "sequence" {
    schema     = "app"
    names      = ["oban_jobs_id_seq"]
    privileges = local.select_usage
  }

  grant "function" {
    schema     = "app"
    names      = ["lookup(integer)"]
    privileges = ["EXECUTE"]
  }

  grant "type" {
    schema     = "app"
    privileges = ["USAGE"]
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
  database             = ["CONNECT", "TEMPORARY"]
  schema               = []
  table                = []
  column               = []
  sequence             = []
  type                 = ["USAGE"]
  language             = ["USAGE"]
  foreign_data_wrapper = []
  foreign_server       = []
  large_object         = []

  grant "function" {
    schema     = "app"
    names      = ["lookup(text)", "touch"]
    privileges = ["EXECUTE"]
  }
}
