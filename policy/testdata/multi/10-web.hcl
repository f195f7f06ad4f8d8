role "web" {
  grant "table" {
    schema     = var.schema
    privileges = ["SELECT"]
  }
}
