role "web" {
  grant "database" {
    owner      = "app"
    privileges = ["CONNECT"]
  }
  grant "parameter" {
    names      = ["work_mem"]
    owner      = "app"
    privileges = ["SET"]
  }
  grant "table" {
    owner      = "public"
    privileges = ["SELECT"]
  }
  grant "schema" {
    owner      = "ééééééééééééééééééééééééééééééééé"
    privileges = ["USAGE"]
  }
}

role "tuist_app" {}

role "ops" {
  grant "table" {
    owner      = "tuist_ap"
    privileges = ["SELECT"]
  }
}
