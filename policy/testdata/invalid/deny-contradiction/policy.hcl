role "web" {
  grant "table" {
    schema     = "public"
    privileges = ["SELECT", "INSERT"]
  }
  grant "table" {
    names      = ["accounts"]
    columns    = ["email"]
    privileges = ["UPDATE"]
  }
  grant "schema" {
    names      = ["app"]
    privileges = ["CREATE"]
  }
  grant "schema" {
    names      = ["pub*"]
    privileges = ["CREATE"]
  }
  default_privileges "table" {
    for_role   = "app"
    privileges = ["ALL"]
  }

  deny {
    kinds      = ["table"]
    privileges = ["INSERT", "UPDATE"]
  }
  deny {
    schema     = "public"
    privileges = ["CREATE"]
  }
  deny {
    kinds      = ["table"]
    names      = ["accounts"]
    privileges = ["SELECT"]
  }
}
