# The policy of the Go API example: shop_owner runs the migrations and owns
# every object; shop_web, the application at runtime, reads and writes rows.

scope {
  schemas = ["shop"]
}

role "shop_web" {
  external = true # created by the database operator; pgward only grants

  grant "schema" {
    names      = ["shop"]
    privileges = ["USAGE"]
  }
  grant "table" {
    schema     = "shop"
    privileges = ["SELECT", "INSERT", "UPDATE", "DELETE"]
  }
  grant "sequence" {
    schema     = "shop"
    privileges = ["USAGE", "SELECT"]
  }

  # Objects shop_owner creates later get the same, between a migration and
  # the next pgward apply.
  default_privileges "table" {
    for_role   = "shop_owner"
    schema     = "shop"
    privileges = ["SELECT", "INSERT", "UPDATE", "DELETE"]
  }
  default_privileges "sequence" {
    for_role   = "shop_owner"
    schema     = "shop"
    privileges = ["USAGE", "SELECT"]
  }
}
