scope {
  system_schemas = ["pg_catalog"]
}

public {
  grant "schema" {
    names      = ["app", "pg_catalog"]
    privileges = ["USAGE"]
  }
}
