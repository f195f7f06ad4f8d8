role "bob" {
  external   = true
  inherit    = false
  login      = true

  member_of "carol" {}
}

role "web" {
  if_missing = "skip"
}

public {
  schema = ["USAGE"]
}
