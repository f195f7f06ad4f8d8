role "web" {
  connection_limit = "many"
  grant "schema" {
    schema     = "public"
    privileges = ["USAGE"]
  }
  grant "sequence" {
    privileges = ["EXECUTE"]
  }
}

role "web" {}
