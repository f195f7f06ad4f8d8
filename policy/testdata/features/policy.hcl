scope {
  schemas = ["public", "audit"]
}

role "tuist_app" {
  if_missing = "create"
  login      = false

  grant "tablespace" {
    names      = ["fast_ssd"]
    privileges = ["CREATE"]
  }
}

role "tuist_web" {
  ensure = "present"

  grant "table" {
    schema            = "public"
    names             = ["accounts"]
    columns           = ["email", "name"]
    privileges        = ["SELECT", "UPDATE"]
    with_grant_option = true
  }
  grant "table" {
    names      = ["users"]
    columns    = ["id"]
    privileges = ["ALL"]
  }
  grant "table" {
    owner      = "tuist_app"
    privileges = ["SELECT"]
  }
  grant "schema" {
    owner      = "tuist_app"
    privileges = ["USAGE"]
  }
  grant "language" {
    names      = ["plpgsql"]
    privileges = ["USAGE"]
  }
  grant "foreign_data_wrapper" {
    names      = ["postgres_fdw"]
    owner      = "tuist_app"
    privileges = ["USAGE"]
  }
  grant "foreign_server" {
    names      = ["reporting"]
    privileges = ["USAGE"]
  }
  grant "large_object" {
    names      = ["16400", "0016401"]
    owner      = "tuist_app"
    privileges = ["SELECT", "UPDATE"]
  }
  grant "parameter" {
    names      = ["Log_Statement", "pg_stat_statements.Track", "auto_explain.*"]
    privileges = ["SET", "alter_system"]
  }

  default_privileges "table" {
    for_role          = "tuist_app"
    privileges        = ["SELECT"]
    with_grant_option = true
  }
  default_privileges "large_object" {
    for_role   = "tuist_app"
    privileges = ["SELECT"]
  }

  deny {
    privileges = ["CREATE"]
  }
  deny {
    kinds      = ["table", "column"]
    schema     = "audit"
    names      = ["*"]
    privileges = ["INSERT", "UPDATE", "DELETE", "TRUNCATE"]
  }
}

role "tuist_ops_ro" {
  external = true
  ensure   = "present"

  deny {
    kinds      = ["table"]
    privileges = ["INSERT", "UPDATE", "DELETE", "TRUNCATE"]
  }
  deny {
    kinds      = ["parameter"]
    names      = ["Work_Mem"]
    privileges = ["ALL"]
  }
}

role "tuist_legacy" {
  external = true
  ensure   = "absent"
  login    = false

  deny {
    privileges = ["ALL"]
  }
}

public {
  column               = []
  language             = ["USAGE"]
  foreign_data_wrapper = []
  foreign_server       = []
  large_object         = ["SELECT"]
  parameter            = []
  tablespace           = ["ALL"]
}
