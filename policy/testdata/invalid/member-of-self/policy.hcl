role "web" {
  member_of "web" {}
}
