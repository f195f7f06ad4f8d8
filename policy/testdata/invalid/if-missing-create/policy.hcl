role "web" {
  external   = true
  if_missing = "create"
}

role "old" {
  if_missing = "create"
  ensure     = "absent"
}

role "new" {
  if_missing = "crate"
}
