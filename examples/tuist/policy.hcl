# The four-role model of the Tuist server (see README.md beside this file).
#
# The roles, their attributes and their memberships are created by the
# database operator (CloudNativePG); they are declared `external`, so pgward
# checks them and never changes them. The grants are pgward's job.

variable "schema" {
  default     = "public"
  description = "The application schema."
}

locals {
  owner = "tuist_app"
  dml   = ["SELECT", "INSERT", "UPDATE", "DELETE"]
}

scope {
  schemas = [var.schema]
}

# Owner: runs the migrations and pgward apply. It owns every object, so it
# needs no grant; declaring it makes pgward revoke anything else it was given.
role "tuist_app" {
  external = true
}

# Web runtime: DML everywhere but SELECT only on schema_migrations and project_handles; no DDL.
role "tuist_web" {
  external   = true
  if_missing = "skip" # rolled out before the operator creates the role
  login      = true
  inherit    = false

  # A runaway query of the web runtime is cancelled after 5 seconds. The
  # role is external, so pgward checks this (audit reports drift) and
  # leaves setting it to the operator: ALTER ROLE tuist_web SET
  # statement_timeout = '5s'.
  settings = {
    statement_timeout = "5s"
  }

  member_of "tuist_ops_ro" {}

  # Invariant: whatever the grants say, the runtime never creates objects.
  deny {
    privileges = ["CREATE"]
  }

  grant "database" {
    privileges = ["CONNECT"]
  }
  grant "schema" {
    names      = [var.schema]
    privileges = ["USAGE"]
  }
  grant "table" {
    schema     = var.schema
    privileges = local.dml
  }
  grant "table" {
    schema     = var.schema
    names      = ["schema_migrations", "project_handles"] # exact names beat "every table"; the view is a join, not updatable
    privileges = ["SELECT"]
  }
  grant "sequence" {
    schema     = var.schema
    privileges = ["USAGE", "SELECT"]
  }
  grant "function" {
    schema     = var.schema
    privileges = ["EXECUTE"]
  }

  default_privileges "table" {
    for_role   = local.owner
    schema     = var.schema
    privileges = local.dml
  }
  default_privileges "sequence" {
    for_role   = local.owner
    schema     = var.schema
    privileges = ["USAGE", "SELECT"]
  }
  default_privileges "function" {
    for_role   = local.owner
    schema     = var.schema
    privileges = ["EXECUTE"]
  }
}

# Background job processor: the job tables and the few tables its jobs write,
# read-only lookups, nothing else.
role "tuist_processor" {
  external = true

  grant "database" {
    privileges = ["CONNECT"]
  }
  grant "schema" {
    names      = [var.schema]
    privileges = ["USAGE"]
  }
  grant "table" {
    schema     = var.schema
    names      = ["oban_jobs", "oban_peers", "command_events"]
    privileges = local.dml
  }
  grant "table" {
    schema     = var.schema
    names      = ["accounts", "projects"]
    privileges = ["SELECT"]
  }
  grant "sequence" {
    schema     = var.schema
    names      = ["oban_jobs_id_seq"]
    privileges = ["USAGE", "SELECT"]
  }
}

# Operator inspection: reads everything through pg_read_all_data (PostgreSQL
# 14+), holds no grant of its own, so nothing it holds can write.
role "tuist_ops_ro" {
  external = true
  login    = true

  member_of "pg_read_all_data" {}

  # Invariant: the operator role never writes, through any membership.
  deny {
    kinds      = ["table", "sequence"]
    privileges = ["INSERT", "UPDATE", "DELETE", "TRUNCATE"]
  }
}

# Defence in depth: PUBLIC keeps USAGE on the schema but never CREATE, and on
# the database only its built-in CONNECT and TEMPORARY.
public {
  database = ["CONNECT", "TEMPORARY"]
  schema   = ["USAGE"]

  # Functions the owner creates from now on are not executable by PUBLIC:
  # only tuist_web, through its own default privileges, runs them. Only a
  # global entry (no schema) can take PostgreSQL's built-in EXECUTE away.
  default_privileges "function" {
    for_role   = local.owner
    privileges = []
  }
}
