role "web" {
  default_privileges "schema" {
    for_role   = "app"
    schema     = "public"
    privileges = ["USAGE"]
  }
}
