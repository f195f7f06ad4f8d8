variable "prefix" {
  default = "tuist"
}

locals {
  prefix = lower(var.prefix)
  writer = format("%s_rw", local.prefix)
}

role "web" {
  member_of "tuist_ro" {}
  member_of "x" {}
}

role "app" {
  default_privileges "table" {
    for_role   = local.roles[1]
    privileges = ["SELECT"]
  }
}
