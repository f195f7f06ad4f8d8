role "web" {
  default_privileges "large_object" {
    for_role   = "app"
    schema     = "public"
    privileges = ["SELECT", "USAGE"]
  }
  default_privileges "column" {
    for_role   = "app"
    privileges = ["SELECT"]
  }
}
