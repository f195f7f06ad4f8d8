variable "schema" {
  default = "public"
}

role "web" {
  grant "schema" {
    names      = [var.shema]
    privileges = ["USAGE"]
  }
  default_privileges "table" {
    for_role   = app_owner
    privileges = ["SELECT"]
  }
}
