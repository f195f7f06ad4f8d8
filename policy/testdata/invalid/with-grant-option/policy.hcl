role "web" {
  grant "table" {
    privileges        = ["SELECT"]
    with_grant_option = "sometimes"
  }
  default_privileges "table" {
    for_role          = "app"
    privileges        = ["SELECT"]
    with_grant_opton  = true
  }
}
