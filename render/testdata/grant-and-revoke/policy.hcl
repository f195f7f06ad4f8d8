role "bob" {
  grant "table" {
    schema     = "app"
    privileges = ["SELECT", "INSERT", "UPDATE", "DELETE"]
  }
  grant "table" {
    schema     = "app"
    names      = ["schema_migrations"]
    privileges = ["SELECT"]
  }
  grant "sequence" {
    schema     = "app"
    privileges = ["USAGE", "SELECT"]
  }
  grant "function" {
    schema     = "app"
    privileges = ["EXECUTE"]
  }
  grant "schema" {
    names      = ["app"]
    privileges = ["USAGE"]
  }
  default_privileges "table" {
    for_role   = "alice"
    schema     = "app"
    privileges = ["SELECT", "INSERT", "UPDATE", "DELETE"]
  }
}

public {
  function = []
}
