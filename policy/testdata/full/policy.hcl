variable "schema" {
  default     = "public"
  description = "The application schema."
}

locals {
  app_owner = "tuist_app"
  ops_role  = "${local.app_prefix}_ops_ro"
  app_prefix = "tuist"
}

scope {
  schemas = [var.schema]
}

role "tuist_web" {
  external         = true
  if_missing       = "skip"
  login            = true
  inherit          = false
  createdb         = false
  createrole       = false
  replication      = false
  bypassrls        = false
  connection_limit = 20
  valid_until      = "2027-01-01T00:00:00Z"

  member_of "tuist_ops_ro" {
    inherit = false
    set     = true
    admin   = false
  }

  grant "database" {
    privileges = ["CONNECT"]
  }
  grant "schema" {
    names      = [var.schema]
    privileges = ["usage"]
  }
  grant "table" {
    schema     = var.schema
    names      = ["*"]
    except     = ["tmp_*"]
    privileges = ["SELECT", "INSERT", "UPDATE", "DELETE"]
  }
  grant "table" {
    schema     = var.schema
    names      = ["schema_migrations"]
    privileges = ["SELECT"]
  }
  grant "sequence" {
    privileges = ["ALL"]
  }
  grant "function" {
    schema     = var.schema
    names      = ["touch_updated_at()", "lookup( int4,text )", "stamp(timestamptz, varchar[])"]
    privileges = ["EXECUTE"]
  }
  default_privileges "table" {
    for_role   = local.app_owner
    schema     = var.schema
    privileges = ["SELECT", "INSERT", "UPDATE", "DELETE"]
  }
  default_privileges "function" {
    for_role   = local.app_owner
    privileges = ["EXECUTE"]
  }
}

role "tuist_ops_ro" {
  member_of "pg_read_all_data" {}
}

public {
  database = ["CONNECT", "TEMPORARY"]
  schema   = ["USAGE"]
  table    = []
}
