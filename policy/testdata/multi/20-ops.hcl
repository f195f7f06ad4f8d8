role "ops" {
  default_privileges "table" {
    for_role   = local.owner
    schema     = var.schema
    privileges = ["SELECT"]
  }
}
