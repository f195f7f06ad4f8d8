role "old" {
  ensure = "absent"
  login  = false

  member_of "app" {}
  grant "table" {
    privileges = ["SELECT"]
  }
  default_privileges "table" {
    for_role   = "app"
    privileges = ["SELECT"]
  }
  deny {
    privileges = ["ALL"]
  }
}
