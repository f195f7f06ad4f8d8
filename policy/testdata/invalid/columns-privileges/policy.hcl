role "web" {
  grant "table" {
    names      = ["accounts"]
    columns    = ["email"]
    privileges = ["SELECT", "TRUNCATE", "DELETE"]
  }
}
