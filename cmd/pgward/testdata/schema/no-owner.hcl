# No default_privileges: nothing says which role owns the schema.
role "reader" {
  grant "table" {
    schema     = "public"
    privileges = ["SELECT"]
  }
}
