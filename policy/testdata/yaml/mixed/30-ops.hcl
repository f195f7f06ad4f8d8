role "tuist_ro" {
  grant "table" {
    schema     = var.schema
    privileges = ["SELECT"]
  }
}

public {
  schema = ["USAGE"]
}
