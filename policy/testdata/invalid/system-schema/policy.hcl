scope {
  system_schemas = ["pg_catalog", "pg_toast"]
}

role "ops" {
  grant "schema" {
    names      = ["pg_catalog", "information_schema"]
    privileges = ["USAGE"]
  }
}
